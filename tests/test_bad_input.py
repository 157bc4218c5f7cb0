"""Bad input raises at once with its SQLSTATE and the matching pgratchet error, and writes
nothing (DESIGN.md principle 8)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import psycopg
import pytest

import pgratchet
from pgratchet.database import jsonb
from pgratchet.embedded import Cluster
from tests.conftest import bind_app, create_database, drop_database
from tests.support import assert_invariants, query

# Every table a call could write to. Counted before and after each bad call.
TABLES = [
    "ratchet.runs",
    "ratchet.pending",
    "ratchet.tasks",
    "ratchet.history",
    "ratchet.steps",
    "ratchet.events",
    "ratchet.queues",
    "ratchet.workflows",
    "ratchet.workers",
]


def snapshot(dsn: str) -> dict[str, int]:
    sql = " union all ".join(f"select '{t}' as t, count(*) as n from {t}" for t in TABLES)
    return {r["t"]: r["n"] for r in query(dsn, sql)}


def assert_rejected(
    dsn: str,
    call: Callable[[], Any],
    error: type[pgratchet.RatchetError],
    sqlstate: str,
    mentions: str,
) -> None:
    before = snapshot(dsn)
    with pytest.raises(error) as info:
        call()
    assert info.value.sqlstate == sqlstate
    cause = info.value.__cause__
    assert isinstance(cause, psycopg.Error), "the pgratchet error should chain the SQL error"
    assert cause.sqlstate == sqlstate
    assert mentions in str(info.value), f"{str(info.value)!r} does not mention {mentions!r}"
    assert snapshot(dsn) == before, "a rejected call must change nothing"


def sql_call(app: pgratchet.App, statement: str, *params: Any) -> Callable[[], Any]:
    """A raw contract call through the client's connector (errors are translated)."""
    return lambda: app.db.execute(statement, params)


@pytest.fixture(scope="module")
def ready(cluster: Cluster) -> Iterator[pgratchet.App]:
    """One database for the module: every test here checks that it changed nothing."""
    dsn = create_database(cluster, "bad_input")
    app = bind_app(dsn)
    app.register()  # queues and workflows exist, so only the bad part of each call is wrong
    app.start("ping")
    yield app
    app.close()
    drop_database(cluster, dsn)


@pytest.fixture
def dsn(ready: pgratchet.App) -> Iterator[str]:
    yield ready.dsn
    assert_invariants(ready.dsn)


def test_starting_an_unknown_workflow_raises_unknown_workflow(ready, dsn):
    assert_rejected(
        dsn, lambda: ready.start("no_such_flow"), pgratchet.UnknownWorkflow, "RT003", "no_such_flow"
    )


def test_starting_on_an_unknown_queue_raises_unknown_queue(ready, dsn):
    assert_rejected(
        dsn,
        lambda: ready.start("ping", queue="nowhere"),
        pgratchet.UnknownQueue,
        "RT004",
        "nowhere",
    )


def test_a_worker_on_an_unknown_queue_is_refused(ready, dsn):
    call = sql_call(ready, "select ratchet.register_worker('w', array['nowhere'])")
    assert_rejected(dsn, call, pgratchet.UnknownQueue, "RT004", "nowhere")


def test_registering_a_workflow_on_an_unknown_queue_is_refused(ready, dsn):
    call = sql_call(
        ready, "select ratchet.register_workflow('fresh', %s)", jsonb({"queue": "nowhere"})
    )
    assert_rejected(dsn, call, pgratchet.UnknownQueue, "RT004", "nowhere")


@pytest.mark.parametrize(
    "name",
    ["Upper", "1digit", "has-dash", "has space", "", "x" * 49, "ratchet.dot", "é"],
)
def test_invalid_queue_names_are_refused(ready, dsn, name):
    assert_rejected(
        dsn, lambda: ready.create_queue(name), pgratchet.InvalidArgument, "RT005", "name"
    )


@pytest.mark.parametrize("name", ["CamelCase", "_lead", "a" * 49, "semi;colon"])
def test_invalid_workflow_names_are_refused(ready, dsn, name):
    call = sql_call(ready, "select ratchet.register_workflow(%s)", name)
    assert_rejected(dsn, call, pgratchet.InvalidArgument, "RT005", "name")


def test_the_longest_valid_name_is_accepted(ready):
    ready.create_queue("q" + "x" * 47)  # 48 characters: the limit, not past it
    assert query(ready.dsn, "select 1 from ratchet.queues where name = %s", ("q" + "x" * 47,))


@pytest.mark.parametrize("bad_input", [[1, 2], "text", 42, True])
def test_a_non_object_input_is_refused(ready, dsn, bad_input):
    call = sql_call(ready, "select ratchet.start('ping', %s)", jsonb(bad_input))
    assert_rejected(dsn, call, pgratchet.InvalidArgument, "RT005", "input")


def test_start_many_with_one_non_object_input_writes_none_of_them(ready, dsn):
    inputs = jsonb([{}, {}, [1], {}])
    call = sql_call(ready, "select ratchet.start_many('ping', %s)", inputs)
    assert_rejected(dsn, call, pgratchet.InvalidArgument, "RT005", "input")


def test_a_null_input_means_an_empty_object(ready):
    for value in (None, jsonb(None)):
        run = ready.db.value("select ratchet.start('ping', %s)", (value,))
        assert query(ready.dsn, "select input from ratchet.runs where id = %s", (run,)) == [
            {"input": {}}
        ]


def test_a_negative_delay_is_refused(ready, dsn):
    assert_rejected(
        dsn, lambda: ready.start("ping", delay=-5), pgratchet.InvalidArgument, "RT005", "delay"
    )


def test_run_at_and_delay_together_are_refused(ready, dsn):
    call = lambda: ready.start("ping", delay=5, run_at="2030-01-01T00:00:00Z")  # noqa: E731
    assert_rejected(dsn, call, pgratchet.InvalidArgument, "RT005", "delay")


def test_deadline_and_timeout_together_are_refused(ready, dsn):
    call = lambda: ready.start("ping", timeout=5, deadline="2030-01-01T00:00:00Z")  # noqa: E731
    assert_rejected(dsn, call, pgratchet.InvalidArgument, "RT005", "timeout")


@pytest.mark.parametrize(
    ("statement", "options", "bad_key"),
    [
        ("select ratchet.start('ping', '{}', %s)", {"queue": "wake", "priorty": 1}, "priorty"),
        ("select ratchet.start_many('ping', '[{}]', %s)", {"dealy": 1}, "dealy"),
        ("select ratchet.create_queue('wake', %s)", {"concurency": 2}, "concurency"),
        ("select ratchet.create_queue('wake', %s)", {"backoff": {"inital": 1}}, "inital"),
        ("select ratchet.register_workflow('ping', %s)", {"retries": 3}, "retries"),
    ],
    ids=["start", "start_many", "create_queue", "backoff", "register_workflow"],
)
def test_unknown_option_keys_are_refused(ready, dsn, statement, options, bad_key):
    call = sql_call(ready, statement, jsonb(options))
    assert_rejected(dsn, call, pgratchet.InvalidArgument, "RT005", bad_key)


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("concurrency", -1),
        ("lease", "not an interval"),
        ("max_attempts", 0),
        ("durability", "eventually"),
        ("backoff", {"factor": 0.5}),
        ("backoff", {"jitter": 1.5}),
        ("backoff", {"initial": "10 minutes", "max": "1 second"}),
        ("lease", "100000000 years"),
        ("retention", 1e15),
        ("backoff", {"max": "1000000000 years"}),
        ("priority_limit", 40000),
    ],
)
def test_invalid_queue_option_values_are_refused(ready, dsn, option, value):
    call = sql_call(ready, "select ratchet.create_queue('wake', %s)", jsonb({option: value}))
    assert_rejected(dsn, call, pgratchet.InvalidArgument, "RT005", option.split("_")[0])


@pytest.mark.parametrize(
    ("options", "mentions"),
    [
        ({"delay": 1e15}, "at most 100 years"),
        ({"delay": "1000000 years"}, "at most 100 years"),
        ({"timeout": "1000000 years"}, "at most 100 years"),
        ({"timeout": 0}, "timeout"),
        ({"run_at": "infinity"}, "run_at"),
        ({"deadline": "-infinity"}, "deadline"),
        ({"deadline": "2000-01-01T00:00:00Z"}, "deadline"),
    ],
)
def test_unbounded_or_impossible_start_times_are_refused(ready, dsn, options, mentions):
    """Each of these was accepted or raised 22008 before the bounds (defects D14, D15)."""
    call = sql_call(ready, "select ratchet.start('ping', '{}', %s)", jsonb(options))
    assert_rejected(dsn, call, pgratchet.InvalidArgument, "RT005", mentions)


def test_start_many_refuses_an_idempotency_key_even_for_one_input(ready, dsn):
    options = jsonb({"idempotency_key": "k"})
    call = sql_call(ready, "select ratchet.start_many('ping', '[{}]', %s)", options)
    assert_rejected(dsn, call, pgratchet.InvalidArgument, "RT005", "idempotency_key")


def test_a_worker_with_an_empty_workflow_list_is_refused(ready, dsn):
    """Such a worker could never claim; null, not an empty list, means every workflow."""
    call = sql_call(ready, "select ratchet.register_worker('w', array['wake'], '{}')")
    assert_rejected(dsn, call, pgratchet.InvalidArgument, "RT005", "workflows")


def test_an_oversized_input_is_refused_at_the_configured_limit(dsn):
    query(dsn, "select ratchet.configure('max_payload_bytes', '1024')")
    small = bind_app(dsn)
    try:
        small.register()
        small.start("ping", {"blob": "x" * 900})  # under the limit: accepted
        assert_rejected(
            dsn,
            lambda: small.start("ping", {"blob": "x" * 2000}),
            pgratchet.InvalidArgument,
            "RT005",
            "bytes",
        )
        run = small.start("ping").id
        assert_rejected(
            dsn,
            lambda: small.signal(run, "big", {"blob": "x" * 2000}),
            pgratchet.InvalidArgument,
            "RT005",
            "bytes",
        )
    finally:
        small.close()


def test_the_default_payload_limit_is_one_megabyte(ready, dsn):
    assert_rejected(
        dsn,
        lambda: ready.start("ping", {"blob": "x" * (1024 * 1024 + 10)}),
        pgratchet.InvalidArgument,
        "RT005",
        "bytes",
    )


def test_signal_with_an_invalid_event_name_is_refused(ready, dsn):
    run = ready.start("ping").id
    assert_rejected(dsn, lambda: ready.signal(run, ""), pgratchet.InvalidArgument, "RT005", "event")


def test_claim_with_an_out_of_range_batch_size_is_refused(ready, dsn):
    worker = ready.db.value("select ratchet.register_worker('w', array['wake'])")
    for n in (0, 1001):
        call = sql_call(ready, "select * from ratchet.claim(%s, %s)", worker, n)
        assert_rejected(dsn, call, pgratchet.InvalidArgument, "RT005", "max_tasks")


def test_calls_from_an_unknown_worker_or_task_are_refused(ready, dsn):
    assert_rejected(
        dsn,
        sql_call(ready, "select * from ratchet.claim(987654)"),
        pgratchet.UnknownWorker,
        "RT007",
        "987654",
    )
    assert_rejected(
        dsn,
        sql_call(ready, "select ratchet.complete(987654)"),
        pgratchet.TaskNotHeld,
        "RT001",
        "987654",
    )
