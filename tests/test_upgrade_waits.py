"""Upgrading 0.1.0 to 0.2.0 moves each waiting run's wait into ``ratchet.waits``.

0.1.0 kept a wait in ``runs.wait_*`` columns; 0.2.0 drops them. A live 0.1.0 database with
runs waiting for an event (with and without a time-out) and for other runs must come out
of the plain upgrade script with one waits row per waiting run, and every one of those
runs must still wake the way it would have: by its event, its time-out, or the last
awaited run finishing.
"""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest
from psycopg.conninfo import make_conninfo

from pgratchet.embedded import Cluster
from tests.support import REPO, assert_invariants, query, scalar

RELEASED = REPO / "extension" / "pgratchet.plain--0.1.0.sql"
UPGRADE = REPO / "extension" / "pgratchet.plain--0.1.0--0.2.0.sql"


@pytest.fixture
def old_dsn(cluster: Cluster) -> Iterator[str]:
    """A database with the released 0.1.0 engine (plain script), dropped afterwards."""
    name = "upgrade_waits"
    with psycopg.connect(cluster.dsn, autocommit=True) as conn:
        conn.execute(f"drop database if exists {name} with (force)")
        conn.execute(f"create database {name} template template0")
    dsn = make_conninfo(cluster.dsn, dbname=name)
    run_script(dsn, RELEASED.read_text())
    try:
        yield dsn
    finally:
        with psycopg.connect(cluster.dsn, autocommit=True) as conn:
            conn.execute(f"drop database if exists {name} with (force)")


def run_script(dsn: str, sql: str) -> None:
    """Apply a whole engine script in one transaction, as `pgratchet upgrade` does."""
    with psycopg.connect(dsn, autocommit=True) as conn, conn.transaction():
        conn.execute(sql)  # type: ignore[arg-type]  # our own generated file


def test_waiting_runs_of_0_1_0_keep_their_waits_and_still_wake(old_dsn: str) -> None:
    with psycopg.connect(old_dsn, autocommit=True) as conn:
        conn.execute("select ratchet.create_queue('q')")
        conn.execute("""select ratchet.register_workflow('wf', '{"queue": "q"}')""")
        worker = scalar(conn, "select ratchet.register_worker('w', array['q'])")
        for n in range(1, 6):
            conn.execute("select ratchet.start('wf', jsonb_build_object('n', %s))", (n,))
        claimed = query(
            conn, "select run, task, (input->>'n')::int as n from ratchet.claim(%s, 5)", (worker,)
        )
        task = {row["n"]: row["task"] for row in claimed}
        run = {row["n"]: row["run"] for row in claimed}
        # 1 waits for an event for an hour, 2 for an event without end, 3 for runs 4 (still
        # running) and 5 (completed).
        conn.execute("select ratchet.complete(%s)", (task[5],))
        conn.execute("select ratchet.await_event(%s, 'e1', 'go', '1 hour')", (task[1],))
        conn.execute("select ratchet.await_event(%s, 'e2', 'go')", (task[2],))
        conn.execute(
            "select ratchet.await_runs(%s, 'join', array[%s, %s]::bigint[])",
            (task[3], run[4], run[5]),
        )
        since = scalar(conn, "select max(at) from ratchet.history where kind = 'waiting'")

    run_script(old_dsn, UPGRADE.read_text())

    waits = query(
        old_dsn,
        "select run_id, step, event, timeout_at - since as timeout, runs, since"
        " from ratchet.waits order by run_id",
    )
    assert [(w["run_id"], w["step"], w["event"], w["runs"]) for w in waits] == [
        (run[1], "e1", "go", None),
        (run[2], "e2", "go", None),
        (run[3], "join", None, [run[4], run[5]]),
    ]
    assert [str(w["timeout"]) for w in waits] == ["1:00:00", "None", "None"]
    assert max(w["since"] for w in waits) == since, "since is when the wait began"
    assert (
        scalar(
            old_dsn,
            "select count(*) from information_schema.columns"
            " where table_schema = 'ratchet' and table_name = 'runs'"
            " and left(column_name, 5) = 'wait_'",
        )
        == 0
    )
    assert_invariants(old_dsn)

    with psycopg.connect(old_dsn, autocommit=True) as conn:
        conn.execute("""select ratchet.signal(%s, 'go', '{"ok": 2}')""", (run[2],))
        conn.execute("select ratchet.complete(%s)", (task[4],))
        conn.execute("set ratchet.fake_now = '2100-01-01 00:00:00+00'")
        assert scalar(conn, "select (ratchet.tick() ->> 'timed_out')::int") == 1
        conn.execute("reset ratchet.fake_now")
        assert scalar(conn, "select count(*) from ratchet.waits") == 0
        steps = {
            r["run_id"]: r["result"]
            for r in query(conn, "select run_id, result from ratchet.steps order by run_id")
        }
    assert steps[run[1]] == {"timed_out": True}
    assert steps[run[2]] == {"payload": {"ok": 2}}
    assert [(o["run"], o["status"]) for o in steps[run[3]]] == [
        (run[4], "completed"),
        (run[5], "completed"),
    ]
    assert_invariants(old_dsn)
