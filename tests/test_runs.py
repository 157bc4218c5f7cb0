"""Run lifecycle through the client: idempotency keys, ordering, deadlines, retry, pauses,
heartbeats, queue stats and tick."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest

import pgratchet
from tests.conftest import bind_app
from tests.support import (
    fake_clock_dsn,
    query,
    run_worker_until_idle,
    wait_for,
    worker_thread,
)


def test_a_second_start_with_the_same_idempotency_key_returns_the_first_run(app, dsn):
    first = app.start("ping", idempotency_key="order-1")
    history_rows = query(dsn, "select count(*) as n from ratchet.history")
    again = app.start("ping", idempotency_key="order-1")
    assert again.id == first.id
    assert query(dsn, "select count(*) as n from ratchet.history") == history_rows
    other = app.start("ping", idempotency_key="order-2")
    assert other.id != first.id
    assert query(dsn, "select count(*) as n from ratchet.runs") == [{"n": 2}]


def test_claims_follow_priority_then_due_time_then_id(app, dsn):
    app.register()
    low = app.start("ping", priority=5)
    first_normal = app.start("ping")
    urgent = app.start("ping", priority=-1)
    second_normal = app.start("ping")
    later = app.start("ping", priority=-5, delay=3600)  # most urgent, but not due
    worker = app.db.value("select ratchet.register_worker('probe', array['wake'])")
    order = [
        row[0]
        for _ in range(5)
        for row in app.db.execute("select run from ratchet.claim(%s, 1)", (worker,))
    ]
    assert order == [urgent.id, first_normal.id, second_normal.id, low.id]
    assert later.status() == "queued"


def test_a_delayed_run_waits_for_its_time(app, dsn):
    handle = app.start("ping", delay=1.5)
    started = time.monotonic()
    with worker_thread(app, queues=["wake"]):
        handle.result(timeout=30)
    assert time.monotonic() - started >= 1.4
    row = query(
        dsn,
        "select started_at - created_at as waited from ratchet.runs where id = %s",
        (handle.id,),
    )
    assert row[0]["waited"].total_seconds() >= 1.5


def test_a_run_past_its_deadline_fails_and_its_worker_is_fenced(app, dsn):
    with worker_thread(app, queues=["slow"], tick_interval=0.2) as worker:
        handle = app.start("slow", {"secs": 3.0}, timeout=1)
        with pytest.raises(pgratchet.RunFailed) as info:
            handle.result(timeout=30)
        assert info.value.error["deadline_exceeded"] is True
        wait_for(lambda: worker.stats.abandoned == 1, 30, "the worker to give the run up")
    assert handle.status() == "failed"
    assert worker.stats.completed == 0


def test_heartbeats_keep_a_body_longer_than_its_lease(app, dsn):
    app.create_queue("slow", lease=1)
    with worker_thread(app, queues=["slow"]):
        handle = app.start("slow", {"secs": 3.5})
        assert handle.result(timeout=30) == {"slept": 3.5}
    assert [e.kind for e in handle.history()] == ["created", "claimed", "completed"]


def test_retry_of_a_failed_run_keeps_its_completed_steps(app, dsn):
    app.create_queue("steps", backoff={"initial": 0.05, "jitter": 0})
    handle = app.start("flaky_steps", max_attempts=1)  # a and b each fail the first time
    run_worker_until_idle(app, queues=["steps"])
    assert handle.status() == "failed"
    app.retry(handle.id)
    run_worker_until_idle(app, queues=["steps"])
    assert handle.status() == "failed"  # a passed, b failed
    app.retry(handle.id)
    run_worker_until_idle(app, queues=["steps"])
    assert handle.result(timeout=1) == {"attempt": 3}
    runs_of = {
        r["step"]: r["n"]
        for r in query(
            dsn,
            "select step, count(*) as n from public.test_effects where run = %s group by step",
            (handle.id,),
        )
    }
    assert runs_of == {"a": 2, "b": 2}, "step a was not run again once it had completed"
    kinds = [e.kind for e in handle.history()]
    assert kinds.count("retried") == 2
    with pytest.raises(pgratchet.WrongState):
        app.retry(handle.id)  # a completed run cannot be retried


def test_a_paused_queue_accepts_starts_but_hands_out_nothing_until_resumed(app, dsn):
    app.register()
    app.pause_queue("wake")
    handle = app.start("ping")
    run_worker_until_idle(app, idle=0.5, queues=["wake"])
    assert handle.status() == "queued"
    app.resume_queue("wake")
    run_worker_until_idle(app, idle=0.5, queues=["wake"])
    assert handle.status() == "completed"


def test_queue_stats_count_runs_by_status(app, dsn):
    app.register()
    done = app.start("ping")
    run_worker_until_idle(app, queues=["wake"])
    app.start("ping")
    app.start("ping")
    cancelled = app.start("ping")
    app.cancel(cancelled.id)
    stats = {s["queue"]: s for s in app.queue_stats()}
    assert list(stats["wake"]) == [
        "queue",
        "paused",
        "concurrency",
        "queued",
        "running",
        "sleeping",
        "waiting",
        "completed",
        "failed",
        "cancelled",
        "oldest_queued_age",
    ]
    wake = stats["wake"]
    assert (wake["queued"], wake["completed"], wake["cancelled"], wake["running"]) == (2, 1, 1, 0)
    assert wake["oldest_queued_age"] is not None
    assert done.status() == "completed"


def test_tick_reports_what_it_did(app):
    result = app.tick()
    assert {"reclaimed", "timed_out", "woken", "deadlines", "purged"} <= set(result)


def test_max_attempts_comes_from_the_start_then_the_workflow_then_the_queue(dsn):
    app = pgratchet.App(dsn)

    @app.workflow(name="capped", queue="prec", max_attempts=3)
    def capped(ctx: pgratchet.Context) -> dict:
        raise RuntimeError("capped fails")

    @app.workflow(name="uncapped", queue="prec")
    def uncapped(ctx: pgratchet.Context) -> dict:
        raise RuntimeError("uncapped fails")

    app.create_queue("prec", max_attempts=4, backoff={"initial": 0.01, "jitter": 0})
    from_start = app.start("capped", max_attempts=2)
    from_workflow = app.start("capped")
    from_queue = app.start("uncapped")
    run_worker_until_idle(app, idle=0.5, queues=["prec"])
    attempts = {
        h.id: (h.status(), h.info()["attempt"]) for h in (from_start, from_workflow, from_queue)
    }
    assert attempts == {
        from_start.id: ("failed", 2),
        from_workflow.id: ("failed", 3),
        from_queue.id: ("failed", 4),
    }
    app.close()


def test_tick_purges_finished_runs_past_retention_with_their_history(app, dsn):
    app.create_queue("wake", retention="1 day")
    done = app.start("ping", idempotency_key="k1")
    run_worker_until_idle(app, queues=["wake"])
    assert done.status() == "completed"
    waiting = app.start("ping", delay=30 * 86400)  # not finished: never purged

    later = bind_app(fake_clock_dsn(dsn, datetime.now(UTC) + timedelta(days=2)))
    # Runs leave by slices: the first tick closes the slice both runs are in (it was still
    # open), the second keeps the waiting run and lets the finished one go.
    assert later.tick()["purged"] == 0
    assert later.tick()["purged"] == 1
    later.close()
    with pytest.raises(pgratchet.UnknownRun):
        app.run(done.id)
    for table in ("ratchet.history", "ratchet.steps", "ratchet.events"):
        rows = query(dsn, f"select count(*) as n from {table} where run_id = %s", (done.id,))
        assert rows == [{"n": 0}], table
    assert waiting.status() == "queued"
    # The idempotency key went with its run.
    assert app.start("ping", idempotency_key="k1").id != done.id
