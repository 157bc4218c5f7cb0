"""Property-based fuzzing of every public function of the SQL contract.

For each function, hypothesis generates arguments, well-formed and hostile (odd JSON types,
huge, negative and NaN-like numbers, 'infinity', very long strings, huge durations, nulls,
unknown option keys, unknown ids, and ids of real runs, tasks and workers in the wrong
state). Each call runs against a database holding a run in every status, and must:

- either succeed or raise a SQLSTATE listed in docs/sql-reference.md (or 42501), so an
  engine error that leaks out (22008 datetime overflow, 22003 out of range, ...) fails;
- if refused, change no table of the engine (checksums of every table, before and after);
- leave ``ratchet.check_invariants()`` empty.

Every example runs in a transaction that is rolled back afterwards, so each starts from the
same state: examples are independent, and a falsifying example replays exactly when
hypothesis shrinks it. Runs are deterministic (``derandomize``) and bounded for CI.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from psycopg.types.json import Jsonb

from tests.support import REPO, assert_invariants, query


def documented_sqlstates() -> frozenset[str]:
    """The SQLSTATEs of the error table in docs/sql-reference.md, plus 42501 (privileges).

    Parsed from the docs rather than listed here, so a code the engine raises without
    documenting it fails this test.
    """
    text = (REPO / "docs" / "sql-reference.md").read_text()
    section = text.split("\n## Errors", 1)[1].split("\n## ", 1)[0]
    codes = re.findall(r"^\| `([0-9A-Z]{5})` \|", section, re.MULTILINE)
    assert len(codes) >= 8, "could not find the SQLSTATE table in docs/sql-reference.md"
    return frozenset(codes) | {"42501"}


DOCUMENTED = documented_sqlstates()

T0 = datetime(2030, 1, 1, tzinfo=UTC)
# Examples run a minute after the world was built: leases of queue q (1 hour) still hold,
# those of queue qshort (1 second) have expired.
T1 = T0 + timedelta(minutes=1)


# --- symbolic arguments: resolved against the world at call time ------------------------
@dataclass(frozen=True)
class Ref:
    """A real id of the world, by what it is (``Ref('task', 'fenced')``)."""

    kind: str
    name: str


@dataclass(frozen=True)
class SqlNull:
    """SQL NULL (as opposed to JSON null, which is Python None inside a jsonb argument)."""


NULL = SqlNull()

# The status each run of the world is in (checked when the world is built).
RUN_STATUS = {
    Ref("run", "queued"): "queued",
    Ref("run", "running"): "running",
    Ref("run", "expired"): "running",
    Ref("run", "sleeping"): "sleeping",
    Ref("run", "waiting_event"): "waiting",
    Ref("run", "waiting_runs"): "waiting",
    Ref("run", "child"): "queued",
    Ref("run", "completed"): "completed",
    Ref("run", "failed"): "failed",
    Ref("run", "cancelled"): "cancelled",
}
RUN_REFS = list(RUN_STATUS)
TASK_REFS = [Ref("task", n) for n in ("live", "live2", "expired", "finished", "fenced")]
WORKER_REFS = [Ref("worker", n) for n in ("live", "gone", "paused")]
UNKNOWN_IDS = [0, -1, 1_000_000, 2**63 - 1, -(2**63)]

HOSTILE_STRINGS = [
    "",
    " ",
    "infinity",
    "-infinity",
    "NaN",
    "nan",
    "Infinity",
    "100000000 years",
    "1000000 years",
    "1e15 seconds",
    "-1 day",
    "0",
    "-0",
    "1",
    "abc",
    "30 seconds",
    "2030-01-01",
    "294276-12-31",
    "4713-01-01 BC",
    "epoch",
    "1e400",
    "{}",
    "null",
    "x'); drop table ratchet.runs; --",
    "ünïcødé ✓",
    "x" * 300,
    "y" * 100_000,
]
HOSTILE_NUMBERS: list[int | float] = [
    0,
    -1,
    1,
    2,
    1000,
    1001,
    0.5,
    -0.5,
    1e15,
    -1e15,
    1e308,
    -1e308,
    2**31,
    2**63,
    10**30,
    10**400,
    1e-300,
]
NAMES = ["q", "qshort", "qp", "default", "wf", "wf_kid", "nope", "Q", "1abc", "a" * 48, "a" * 49]

BACKOFF_KEYS = ["initial", "factor", "max", "jitter"]
UNKNOWN_KEYS = ["bogus", "", "Queue", "lease "]
OPTION_KEYS = {
    "create_queue": [
        "concurrency",
        "lease",
        "max_attempts",
        "backoff",
        "durability",
        "notify",
        "paused",
        "retention",
    ],
    "register_workflow": ["queue", "version", "max_attempts", "timeout"],
    "start": [
        "queue",
        "idempotency_key",
        "priority",
        "run_at",
        "delay",
        "deadline",
        "timeout",
        "max_attempts",
        "tags",
    ],
}

# Option values aimed at what each key parses: [valid ones], [hostile ones].
DURATIONS: tuple[list[Any], list[Any]] = (
    ["30 seconds", "1 day", "0", 0, 5, 0.5],
    [
        "-1 second",
        "1000000 years",
        "100000000 years",
        "178000000 years",
        "1e15 seconds",
        "infinity",
        "-infinity",
        "NaN",
        "abc",
        -1,
        1e15,
        -1e15,
        1e308,
        10**400,
        True,
        [],
    ],
)
TIMES: tuple[list[Any], list[Any]] = (
    ["2030-01-02 00:00:00+00", "1999-01-01 00:00:00+00"],
    ["infinity", "-infinity", "294276-12-31", "294277-01-01", "4713-01-01 BC", "abc", 0, 1e15, {}],
)
INTEGERS: tuple[list[Any], list[Any]] = (
    [1, 3, 10],
    [0, -1, 32767, 32768, -32769, 2**31, 2**63, 10**400, 1.5, 1e308, "1", True],
)
FRACTIONS: tuple[list[Any], list[Any]] = (
    [0, 0.2, 1, 2],
    [1.5, 1000, -1, 1e308, 10**400, 1e-300, "2"],
)
TEXTS: tuple[list[Any], list[Any]] = (["q", "qp", "v2", "key-1"], [*HOSTILE_STRINGS, 1, []])
BOOLS: tuple[list[Any], list[Any]] = ([True, False], ["true", 1])
KEY_VALUES: dict[str, tuple[list[Any], list[Any]]] = {
    "lease": DURATIONS,
    "retention": DURATIONS,
    "delay": DURATIONS,
    "timeout": DURATIONS,
    "initial": DURATIONS,
    "max": DURATIONS,
    "run_at": TIMES,
    "deadline": TIMES,
    "concurrency": INTEGERS,
    "max_attempts": INTEGERS,
    "priority": INTEGERS,
    "factor": FRACTIONS,
    "jitter": FRACTIONS,
    "queue": TEXTS,
    "version": TEXTS,
    "idempotency_key": TEXTS,
    "durability": (["sync", "async"], TEXTS[1]),
    "notify": BOOLS,
    "paused": BOOLS,
}

# Literals valid for the argument's SQL type (the cast happens before the call, so an
# invalid literal would be the caller's error, not the function's).
INTERVALS = (
    ["0", "1 second", "1 day"],
    ["-1 second", "100000000 years", "1000000 years", "-100000000 years", "178000000 years"],
)
TIMESTAMPS = (
    ["2030-01-01 00:00:00+00", "2030-01-02 00:00:00+00", "2000-01-01 00:00:00+00"],
    ["infinity", "-infinity", "294276-12-31 00:00:00+00", "4713-01-01 00:00:00+00 BC"],
)
# Engine clocks an example may run at (ratchet.fake_now); tick, which takes no argument,
# also meets far ones (year 9999: the engine adds durations of up to 100 years to its
# clock, so the last century of timestamptz is outside its domain).
CLOCKS = [
    T1.isoformat(),
    (T0 + timedelta(hours=2)).isoformat(),
    (T0 + timedelta(days=400)).isoformat(),
]
TICK_CLOCKS = [*CLOCKS, "9999-12-31 00:00:00+00", "1999-01-01 00:00:00+00"]


def mostly(
    valid: st.SearchStrategy[Any], hostile: st.SearchStrategy[Any]
) -> st.SearchStrategy[Any]:
    """Valid three times in four: a call gets past its other arguments often enough for a
    hostile value in one of them to reach the code that handles it. (``one_of`` alone
    would pick the hostile branch far more often once its choices are many.)"""
    return st.integers(min_value=0, max_value=3).flatmap(lambda i: hostile if i == 3 else valid)


def pick(pools: tuple[list[Any], list[Any]]) -> st.SearchStrategy[Any]:
    """A value for a typed argument or an option: valid or hostile, half and half."""
    return st.one_of(st.sampled_from(pools[0]), st.sampled_from(pools[1]))


def any_text(max_size: int) -> st.SearchStrategy[str]:
    """Any text Postgres can hold (text and jsonb refuse NUL before the call is made)."""
    return st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=max_size)


def hostile_text() -> st.SearchStrategy[Any]:
    return st.one_of(
        st.sampled_from(NAMES), st.sampled_from(HOSTILE_STRINGS), any_text(20), st.just(NULL)
    )


def text_arg(*valid: str) -> st.SearchStrategy[Any]:
    """A name-like argument: one of ``valid`` mostly, else odd or hostile text, or NULL."""
    return mostly(st.sampled_from(valid), hostile_text())


def json_scalar() -> st.SearchStrategy[Any]:
    return st.one_of(
        st.none(),
        st.booleans(),
        st.sampled_from(HOSTILE_NUMBERS),
        st.integers(min_value=-(2**40), max_value=2**40),
        st.floats(allow_nan=False, allow_infinity=False),
        st.sampled_from(HOSTILE_STRINGS),
        any_text(10),
    )


def json_value() -> st.SearchStrategy[Any]:
    return st.recursive(
        json_scalar(),
        lambda inner: st.one_of(
            st.lists(inner, max_size=3),
            st.dictionaries(any_text(5), inner, max_size=3),
        ),
        max_leaves=6,
    )


def json_arg() -> st.SearchStrategy[Any]:
    """A jsonb argument: mostly a JSON object, else any JSON value or SQL NULL."""
    obj = st.dictionaries(any_text(8), json_value(), max_size=4)
    return mostly(obj, st.one_of(json_value(), st.just(NULL)))


def option_value(key: str) -> st.SearchStrategy[Any]:
    """A value for one option key: valid or hostile for what the key parses, or any JSON."""
    if key == "backoff":
        return mostly(options_of(BACKOFF_KEYS), json_value())
    if key == "tags":
        return mostly(st.dictionaries(any_text(5), json_scalar(), max_size=3), json_value())
    return mostly(pick(KEY_VALUES[key]), st.one_of(st.none(), json_value()))


def options_of(keys: list[str]) -> st.SearchStrategy[dict[str, Any]]:
    """Objects with one or two of ``keys``, each with its value."""
    return st.lists(st.sampled_from(keys), unique=True, min_size=1, max_size=2).flatmap(
        lambda chosen: st.fixed_dictionaries({k: option_value(k) for k in chosen})
    )


def options_arg(function: str) -> st.SearchStrategy[Any]:
    """Mostly options with known keys (valid or hostile values), else unknown keys, other
    JSON, or SQL NULL."""
    return mostly(
        options_of(OPTION_KEYS[function]),
        st.one_of(
            st.dictionaries(st.sampled_from(UNKNOWN_KEYS), json_value(), min_size=1, max_size=2),
            json_value(),
            st.just(NULL),
        ),
    )


def id_arg(*refs: Ref) -> st.SearchStrategy[Any]:
    """Mostly one of ``refs``, else an id of any real object (the wrong state or kind), an
    unknown id, or NULL."""
    return mostly(
        st.sampled_from(refs),
        st.one_of(
            st.sampled_from(RUN_REFS + TASK_REFS + WORKER_REFS),
            st.sampled_from(UNKNOWN_IDS),
            st.just(NULL),
        ),
    )


def id_array_arg(*refs: Ref) -> st.SearchStrategy[Any]:
    hostile = st.one_of(
        st.sampled_from(RUN_REFS + TASK_REFS), st.sampled_from(UNKNOWN_IDS), st.none()
    )
    return mostly(
        st.lists(st.sampled_from(refs), min_size=1, max_size=3),
        st.one_of(st.lists(mostly(st.sampled_from(refs), hostile), max_size=4), st.just(NULL)),
    )


def name_array_arg(*valid: str) -> st.SearchStrategy[Any]:
    hostile = st.one_of(st.sampled_from(NAMES), st.sampled_from(HOSTILE_STRINGS), st.none())
    return mostly(
        st.lists(st.sampled_from(valid), min_size=1, max_size=3),
        st.one_of(st.lists(hostile, max_size=4), st.just(NULL)),
    )


def int_arg(*valid: int) -> st.SearchStrategy[Any]:
    return mostly(
        st.sampled_from(valid),
        st.one_of(
            st.sampled_from([-(2**31), -1, 0, 1001, 2**31 - 1]),
            st.integers(min_value=-(2**31), max_value=2**31 - 1),
            st.just(NULL),
        ),
    )


@dataclass(frozen=True)
class Function:
    """One function of the contract: its argument types and a strategy for each."""

    types: tuple[str, ...]
    args: tuple[st.SearchStrategy[Any], ...]


LIVE_RUNS = [Ref("run", n) for n in ("queued", "running", "sleeping", "waiting_event")]
FINISHED_RUNS = [Ref("run", n) for n in ("completed", "failed", "cancelled")]
LIVE_TASKS = [Ref("task", "live"), Ref("task", "live2")]
WORKFLOW = text_arg("wf", "wf_kid", "wf_short")
STEP = text_arg("s", "t", "nap", "ask", "join", "kid")
EVENT = text_arg("answer", "e")


def start_inputs() -> st.SearchStrategy[Any]:
    objects = st.dictionaries(any_text(5), json_scalar(), max_size=2)
    return mostly(st.lists(objects, min_size=1, max_size=3), json_arg())


FUNCTIONS: dict[str, Function] = {
    "create_queue": Function(
        ("text", "jsonb"), (text_arg("q", "qp", "fresh_q"), options_arg("create_queue"))
    ),
    "register_workflow": Function(
        ("text", "jsonb"), (text_arg("wf", "fresh_wf"), options_arg("register_workflow"))
    ),
    "start": Function(("text", "jsonb", "jsonb"), (WORKFLOW, json_arg(), options_arg("start"))),
    "start_many": Function(
        ("text", "jsonb", "jsonb"), (WORKFLOW, start_inputs(), options_arg("start"))
    ),
    "signal": Function(
        ("bigint", "text", "jsonb"),
        (id_arg(*LIVE_RUNS), EVENT, mostly(json_value(), st.just(NULL))),
    ),
    "cancel": Function(("bigint", "text"), (id_arg(*LIVE_RUNS), text_arg("why"))),
    "retry": Function(("bigint",), (id_arg(*FINISHED_RUNS),)),
    "run_history": Function(("bigint",), (id_arg(*RUN_REFS),)),
    "register_worker": Function(
        ("text", "text[]", "text[]"),
        (
            text_arg("w"),
            name_array_arg("q", "qp", "qshort"),
            mostly(st.just(NULL), name_array_arg("wf", "wf_kid")),
        ),
    ),
    "heartbeat": Function(("bigint",), (id_arg(*WORKER_REFS),)),
    "deregister_worker": Function(("bigint",), (id_arg(*WORKER_REFS),)),
    "claim": Function(("bigint", "integer"), (id_arg(*WORKER_REFS), int_arg(1, 2, 1000))),
    "checkpoint": Function(
        ("bigint", "text", "jsonb"), (id_arg(*LIVE_TASKS), STEP, mostly(json_value(), json_arg()))
    ),
    "complete": Function(("bigint", "jsonb"), (id_arg(*LIVE_TASKS), json_arg())),
    "complete_many": Function(
        ("bigint[]", "jsonb"),
        (id_array_arg(*LIVE_TASKS), st.one_of(st.lists(json_value(), max_size=3), json_arg())),
    ),
    "fail": Function(
        ("bigint", "jsonb", "text", "boolean", "integer"),
        (
            id_arg(*LIVE_TASKS),
            json_arg(),
            mostly(st.just(NULL), STEP),
            st.sampled_from([True, False, NULL]),
            mostly(st.just(NULL), int_arg(1, 5)),
        ),
    ),
    "sleep": Function(
        ("bigint", "text", "timestamptz"), (id_arg(*LIVE_TASKS), STEP, pick(TIMESTAMPS))
    ),
    "await_event": Function(
        ("bigint", "text", "text", "interval"),
        (id_arg(*LIVE_TASKS), STEP, EVENT, mostly(pick(INTERVALS), st.just(NULL))),
    ),
    "start_child": Function(
        ("bigint", "text", "text", "jsonb", "jsonb"),
        (id_arg(*LIVE_TASKS), STEP, WORKFLOW, json_arg(), options_arg("start")),
    ),
    "await_runs": Function(
        ("bigint", "text", "bigint[]"), (id_arg(*LIVE_TASKS), STEP, id_array_arg(*RUN_REFS))
    ),
    "tick": Function((), ()),
}


# --- the world every example starts from --------------------------------------------------
class World:
    """The connection all examples share, the world's ids, and its table checksums."""

    def __init__(self, conn: psycopg.Connection[Any], ids: dict[Ref, int]) -> None:
        self.conn = conn
        self.ids = ids
        self.checksum_sql = checksum_sql(conn)
        self.checksums: list[tuple[str, str]] = conn.execute(self.checksum_sql).fetchall()

    def __repr__(self) -> str:  # hypothesis prints it with every falsifying example
        return "World(...)"


def build_world(conn: psycopg.Connection[Any]) -> dict[Ref, int]:
    """Queues, workflows, workers and a run in every status, built at T0 and committed."""
    ids: dict[Ref, int] = {}

    def one(sql: str, *params: Any) -> Any:
        row = conn.execute(sql, params).fetchone()
        return row[0] if row else None

    conn.execute("select set_config('ratchet.fake_now', %s, false)", (T0.isoformat(),))
    one('select ratchet.create_queue(\'q\', \'{"lease": "1 hour", "max_attempts": 3}\')')
    one("select ratchet.create_queue('qshort', '{\"lease\": \"1 second\"}')")
    one("select ratchet.create_queue('qp', '{\"paused\": true}')")
    one("select ratchet.register_workflow('wf', '{\"queue\": \"q\"}')")
    one("select ratchet.register_workflow('wf_short', '{\"queue\": \"qshort\"}')")
    one("select ratchet.register_workflow('wf_kid', '{\"queue\": \"qp\"}')")
    live = one("select ratchet.register_worker('live', array['q', 'qshort'])")
    gone = one("select ratchet.register_worker('gone', array['q'])")
    one("select ratchet.deregister_worker(%s)", gone)
    ids[Ref("worker", "live")] = live
    ids[Ref("worker", "gone")] = gone
    ids[Ref("worker", "paused")] = one("select ratchet.register_worker('p', array['qp'])")

    roles = ["live", "live2", "completed", "failed", "sleeping", "waiting_event", "wr", "cancel"]
    for n in range(len(roles)):
        one("select ratchet.start('wf', %s)", Jsonb({"n": n}))
    claimed = {
        row[1]["n"]: (row[0], row[2])
        for row in conn.execute(
            "select task, input, run from ratchet.claim(%s, %s)", (live, len(roles))
        )
    }
    task = {role: claimed[n][0] for n, role in enumerate(roles)}
    run = {role: claimed[n][1] for n, role in enumerate(roles)}
    ids[Ref("task", "live")] = task["live"]
    ids[Ref("task", "live2")] = task["live2"]
    ids[Ref("run", "running")] = run["live"]
    one("select ratchet.complete(%s, '{\"ok\": true}')", task["completed"])
    ids[Ref("task", "finished")] = task["completed"]
    ids[Ref("run", "completed")] = run["completed"]
    one("select ratchet.fail(%s, '{\"e\": 1}', null, false)", task["failed"])
    ids[Ref("run", "failed")] = run["failed"]
    one("select ratchet.sleep(%s, 'nap', %s)", task["sleeping"], T0 + timedelta(days=1))
    ids[Ref("run", "sleeping")] = run["sleeping"]
    one("select ratchet.await_event(%s, 'ask', 'answer', '1 day')", task["waiting_event"])
    ids[Ref("run", "waiting_event")] = run["waiting_event"]
    child = one("select ratchet.start_child(%s, 'kid', 'wf_kid', '{}')", task["wr"])
    one("select ratchet.await_runs(%s, 'join', array[%s]::bigint[])", task["wr"], child)
    ids[Ref("run", "child")] = child
    ids[Ref("run", "waiting_runs")] = run["wr"]
    one("select ratchet.cancel(%s, 'fuzz')", run["cancel"])
    ids[Ref("task", "fenced")] = task["cancel"]
    ids[Ref("run", "cancelled")] = run["cancel"]
    one("select ratchet.start('wf_short')")
    short = conn.execute("select task, run from ratchet.claim(%s)", (live,)).fetchone()
    assert short is not None
    ids[Ref("task", "expired")], ids[Ref("run", "expired")] = short
    ids[Ref("run", "queued")] = one("select ratchet.start('wf', '{\"n\": 99}')")
    conn.execute("select set_config('ratchet.fake_now', '', false)")
    statuses = dict(conn.execute("select id, status from ratchet.runs").fetchall())
    for ref, want in RUN_STATUS.items():
        assert statuses[ids[ref]] == want, f"{ref} is {statuses[ids[ref]]}, not {want}"
    for refs in (RUN_REFS, TASK_REFS, WORKER_REFS):
        assert len({ids[r] for r in refs}) == len(refs), f"two of {refs} name one object"
    return ids


def checksum_sql(conn: psycopg.Connection[Any]) -> str:
    """One query: an md5 of the full contents of every table of schema ratchet."""
    rows = query(
        conn,
        "select c.relname from pg_class as c"
        " where c.relnamespace = 'ratchet'::regnamespace and c.relkind in ('r', 'p')"
        " order by c.relname",
    )
    assert len(rows) >= 10, rows
    return " union all ".join(
        f"select '{r['relname']}' as t,"
        f" md5(coalesce(string_agg(x::text, '|' order by x::text), '')) as h"
        f' from ratchet."{r["relname"]}" as x'
        for r in rows
    )


@pytest.fixture
def world(dsn: str) -> Iterator[World]:
    """The test's database with the world committed, and one connection for all examples."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        ids = build_world(conn)
        assert_invariants(conn)
        # Typed literals must cast, or a cast error would be blamed on the function.
        for literal in [*INTERVALS[0], *INTERVALS[1]]:
            conn.execute("select %s::interval", (literal,))
        for literal in [*TIMESTAMPS[0], *TIMESTAMPS[1], *CLOCKS, *TICK_CLOCKS]:
            conn.execute("select %s::timestamptz", (literal,))
        conn.execute("set statement_timeout = '20s'")
        yield World(conn, ids)


def resolve(value: Any, ids: dict[Ref, int]) -> Any:
    """The SQL parameter for a generated value: ids for refs, None for SQL NULL."""
    if isinstance(value, SqlNull):
        return None
    if isinstance(value, Ref):
        return ids[value]
    if isinstance(value, list):
        return [resolve(v, ids) for v in value]
    return value


def call_sql(name: str, fn: Function) -> str:
    params = ", ".join(f"%s::{t}" for t in fn.types)
    # As text: the client cannot load every timestamp the server can hold (year > 9999).
    return f"select r::text from ratchet.{name}({params}) as r"


class Undo(Exception):
    """Raised to leave an example's transaction: every example starts from the world."""


def assert_engine_still_works(conn: psycopg.Connection[Any], name: str) -> None:
    """A start of every workflow, a tick, a claim on every queue and a heartbeat still work
    after the call.

    Catches a value accepted now that breaks later calls (a lease no timestamp can hold
    makes every claim on its queue raise; such a workflow timeout, every start).
    """
    try:
        with conn.transaction():
            conn.execute("select ratchet.start(w.name) from ratchet.workflows as w")
            conn.execute("select ratchet.tick()")
            worker = conn.execute(
                "select ratchet.register_worker('probe', array(select name from ratchet.queues))"
            ).fetchone()
            assert worker is not None
            conn.execute("select count(*) from ratchet.claim(%s, 1000)", worker)
            conn.execute("select ratchet.heartbeat(%s)::text", worker)
    except psycopg.Error as exc:
        raise AssertionError(
            f"after ratchet.{name} succeeded, start/tick/claim/heartbeat raised"
            f" {exc.sqlstate}: {exc}"
        ) from exc
    assert_invariants(conn)


def check_call(world: World, name: str, args: list[Any], clock: str) -> None:
    """The property: documented outcome, a refusal changes nothing, invariants hold."""
    fn = FUNCTIONS[name]
    params = [
        Jsonb(resolve(a, world.ids))
        if t == "jsonb" and not isinstance(a, SqlNull)
        else resolve(a, world.ids)
        for t, a in zip(fn.types, args, strict=True)
    ]
    conn = world.conn
    try:
        with conn.transaction():
            conn.execute("select set_config('ratchet.fake_now', %s, true)", (clock,))
            try:
                with conn.transaction():
                    conn.execute(call_sql(name, fn), params).fetchall()
            except psycopg.Error as exc:
                assert exc.sqlstate in DOCUMENTED, (
                    f"ratchet.{name} raised undocumented SQLSTATE {exc.sqlstate}: {exc}"
                )
                # Every example starts from the world: its checksums are the "before".
                after = conn.execute(world.checksum_sql).fetchall()
                changed = sorted(
                    t for (t, h), (_, h2) in zip(world.checksums, after, strict=True) if h != h2
                )
                assert not changed, f"refused ratchet.{name} ({exc.sqlstate}) changed {changed}"
                assert_invariants(conn)
            else:
                assert_invariants(conn)
                assert_engine_still_works(conn, name)
            raise Undo
    except Undo:
        pass


SETTINGS = settings(
    derandomize=True,
    database=None,
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
@SETTINGS
@given(data=st.data())
def test_a_call_succeeds_or_raises_a_documented_sqlstate_and_keeps_the_invariants(
    world: World, name: str, data: st.DataObject
) -> None:
    fn = FUNCTIONS[name]
    args = [data.draw(strategy, label=f"arg {i + 1}") for i, strategy in enumerate(fn.args)]
    clock = data.draw(
        st.sampled_from(TICK_CLOCKS if name == "tick" else CLOCKS), label="ratchet.fake_now"
    )
    check_call(world, name, args, clock)
