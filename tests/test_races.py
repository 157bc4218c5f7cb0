"""Races between two sessions, replayed in a fixed order (defects D7, D8, fan-in).

pgTAP runs in one session, so these tests use two connections: the first calls the
engine and keeps its transaction open; the second makes its call in a thread, where it
blocks on a row lock the first holds. The test waits until Postgres shows the second
backend waiting for a lock, commits the first, and checks what the second call did. The
interleaving is the same on every run, so a failure is a bug, not bad luck.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import psycopg
import pytest

from tests.support import query, scalar, wait_for


@pytest.fixture
def engine(dsn: str) -> str:
    """A queue with a long lease and the two workflows the races use."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("select ratchet.create_queue('races', '{\"lease\": \"1 hour\"}')")
        for workflow in ("race_parent", "race_child"):
            conn.execute(
                'select ratchet.register_workflow(%s, \'{"queue": "races"}\')', (workflow,)
            )
    return dsn


@pytest.fixture
def holder(engine: str) -> Iterator[psycopg.Connection[Any]]:
    """The first session: its transaction stays open until the test commits it."""
    with psycopg.connect(engine) as conn:
        yield conn


def start_and_claim(dsn: str, workflow: str = "race_parent") -> tuple[int, int]:
    """Starts a run and claims it: (run id, task id)."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        run = scalar(conn, "select ratchet.start(%s)", (workflow,))
        worker = scalar(conn, "select ratchet.register_worker('race_w', array['races'])")
        task = scalar(
            conn, "select c.task from ratchet.claim(%s) as c where c.run = %s", (worker, run)
        )
    assert task is not None, f"run {run} was not claimed"
    return run, task


def call_blocked(dsn: str, sql: str, params: Any) -> tuple[Future[Any], Callable[[], None]]:
    """Runs ``sql`` in a second session on a thread and returns once it waits for a lock.

    Returns the call's future and a cleanup that closes the pool and the connection.
    """
    conn = psycopg.connect(dsn, autocommit=True)
    pid = conn.info.backend_pid
    pool = ThreadPoolExecutor(max_workers=1)
    future = pool.submit(scalar, conn, sql, params)
    wait_for(
        lambda: (
            future.done()
            or scalar(
                dsn,
                "select wait_event_type = 'Lock' from pg_stat_activity where pid = %s",
                (pid,),
            )
        ),
        10,
        "the second session to wait for the first one's lock",
    )
    assert not future.done(), f"the second call did not block: {future.result()!r}"

    def cleanup() -> None:
        pool.shutdown(wait=True)
        conn.close()

    return future, cleanup


def test_cancel_waiting_for_a_complete_that_commits_returns_false_and_changes_nothing(
    engine: str, holder: psycopg.Connection[Any]
) -> None:
    """D7: cancel returned true for a run a concurrent complete had finished."""
    run, task = start_and_claim(engine)
    holder.execute("select ratchet.complete(%s, '{\"done\": true}')", (task,))

    future, cleanup = call_blocked(engine, "select ratchet.cancel(%s)", (run,))
    holder.commit()
    try:
        assert future.result(timeout=10) is False
    finally:
        cleanup()

    row = query(engine, "select status, output, error from ratchet.runs where id = %s", (run,))
    assert row == [{"status": "completed", "output": {"done": True}, "error": None}]
    kinds = [
        r["kind"]
        for r in query(engine, "select kind from ratchet.history where run_id = %s", (run,))
    ]
    assert "cancelled" not in kinds


def test_cancel_of_a_parent_waiting_for_start_child_cancels_the_new_child(
    engine: str, holder: psycopg.Connection[Any]
) -> None:
    """D8: a child committed while cancel(parent) waited for the parent's row escaped."""
    parent, task = start_and_claim(engine)
    child = scalar(holder, "select ratchet.start_child(%s, 'spawn', 'race_child', '{}')", (task,))

    future, cleanup = call_blocked(engine, "select ratchet.cancel(%s, 'stop')", (parent,))
    holder.commit()
    try:
        assert future.result(timeout=10) is True
    finally:
        cleanup()

    rows = query(
        engine,
        "select id, status, error from ratchet.runs where id = any(%s) order by id",
        ([parent, child],),
    )
    assert rows == [
        {"id": parent, "status": "cancelled", "error": {"cancelled": True, "reason": "stop"}},
        {
            "id": child,
            "status": "cancelled",
            "error": {"cancelled": True, "reason": "stop", "cancelled_with": parent},
        },
    ]
    for table in ("ratchet.pending", "ratchet.tasks"):
        left = scalar(engine, f"select count(*) from {table} where run_id = %s", (child,))
        assert left == 0, f"the cancelled child still has a row in {table}"


def test_two_awaited_runs_finishing_at_once_wake_the_waiter_once(
    engine: str, holder: psycopg.Connection[Any]
) -> None:
    """Fan-in: the second finisher waits for the first one's lock on the waiter, then wakes it.

    Wait rows now stay until the waiter resumes (D9), so who wakes the waiter is decided by
    the awaited runs' status read under the waiter's lock: exactly one of the two must.
    """
    parent, task = start_and_claim(engine)
    with psycopg.connect(engine, autocommit=True) as conn:
        children = [
            scalar(conn, "select ratchet.start_child(%s, %s, 'race_child', '{}')", (task, step))
            for step in ("a", "b")
        ]
        assert scalar(conn, "select ratchet.await_runs(%s, 'join', %s)", (task, children)) is None
        worker = scalar(conn, "select ratchet.register_worker('race_w2', array['races'])")
        tasks = {
            r["run"]: r["task"]
            for r in query(conn, "select c.run, c.task from ratchet.claim(%s, 2) as c", (worker,))
        }
    assert sorted(tasks) == sorted(children)

    holder.execute("select ratchet.complete(%s, '{\"v\": 1}')", (tasks[children[1]],))
    future, cleanup = call_blocked(
        engine, "select ratchet.complete(%s, '{\"v\": 0}')", (tasks[children[0]],)
    )
    holder.commit()
    try:
        future.result(timeout=10)
    finally:
        cleanup()

    assert scalar(engine, "select status from ratchet.runs where id = %s", (parent,)) == "queued"
    woken = scalar(
        engine,
        "select count(*) from ratchet.history where run_id = %s and kind = 'woken'",
        (parent,),
    )
    assert woken == 1
    result = scalar(
        engine, "select result from ratchet.steps where run_id = %s and name = 'join'", (parent,)
    )
    assert [(r["status"], r["output"]) for r in result] == [
        ("completed", {"v": 0}),
        ("completed", {"v": 1}),
    ]
    assert scalar(engine, "select count(*) from ratchet.run_waits") == 0
