"""Durable sleep on the fake clock: the run parks as a row and holds nothing meanwhile."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pgratchet
from tests.conftest import bind_app
from tests.support import fake_clock_dsn, query, run_worker_until_idle, wait_for, worker_thread

T0 = datetime(2031, 5, 1, 12, 0, tzinfo=UTC)


def claims(dsn: str, run: int) -> int:
    return query(
        dsn,
        "select count(*) as n from ratchet.history where run_id = %s and kind = 'claimed'",
        (run,),
    )[0]["n"]


def busy_sessions(dsn: str) -> list[dict]:
    """Client sessions of this database that are running or inside a transaction."""
    return query(
        dsn,
        "select pid, state, query from pg_stat_activity"
        " where datname = current_database() and backend_type = 'client backend'"
        " and pid <> pg_backend_pid() and state <> 'idle'",
    )


def test_a_run_sleeping_three_days_is_claimable_only_after_three_days_and_holds_nothing(dsn):
    at_start = bind_app(fake_clock_dsn(dsn, T0))
    handle = at_start.start("nap", {"days": 3})
    with worker_thread(at_start, queues=["timers", "wake"], concurrency=1) as worker:
        wait_for(lambda: handle.status() == "sleeping", 30, "the run to sleep")
        # The only executor thread is free: other work goes through while the run sleeps.
        assert at_start.start("ping").result(timeout=30) == {"pong": True}
        assert worker.stats.suspended == 1
        assert query(dsn, "select count(*) as n from ratchet.tasks") == [{"n": 0}]
        assert busy_sessions(dsn) == []
    at_start.close()
    assert [e.kind for e in handle.history()] == ["created", "claimed", "sleeping"]
    nap = query(
        dsn, "select result from ratchet.steps where run_id = %s and name = 'nap'", (handle.id,)
    )
    assert datetime.fromisoformat(nap[0]["result"]["wake_at"]) == T0 + timedelta(days=3)

    # A minute early: nothing to claim, by a worker or by a bare ratchet.claim.
    early = bind_app(fake_clock_dsn(dsn, T0 + timedelta(days=3, minutes=-1)))
    run_worker_until_idle(early, idle=0.3, queues=["timers"])
    worker_id = early.db.value("select ratchet.register_worker('probe', array['timers'])")
    assert early.db.execute("select * from ratchet.claim(%s, 10)", (worker_id,)) == []
    early.close()
    assert handle.status() == "sleeping"
    assert claims(dsn, handle.id) == 1

    # Just after the wake time (no tick needed): claimed and finished.
    late = bind_app(fake_clock_dsn(dsn, T0 + timedelta(days=3, seconds=1)))
    run_worker_until_idle(late, idle=0.3, queues=["timers"])
    late.close()
    assert handle.result(timeout=1) == {"slept_days": 3}
    assert [e.kind for e in handle.history()][2:] == [
        "sleeping",
        "woken",
        "claimed",
        "step",
        "completed",
    ]
    assert handle.info()["attempt"] == 1, "waking from a sleep is not a new attempt"
    after = query(dsn, "select count(*) as n from public.test_effects where run = %s", (handle.id,))
    assert after == [{"n": 1}]


def test_an_async_body_runs_steps_sleeps_and_awaits_events(app: pgratchet.App, dsn):
    with worker_thread(app, queues=["timers"], concurrency=2):
        handle = app.start("async_pipeline", {"x": 21})
        wait_for(lambda: handle.status() == "waiting", 30, "the run to wait for its event")
        app.signal(handle.id, "extra", {"more": True})
        output = handle.result(timeout=30)
    assert output == {
        "doubled": 42,
        "extra": {"more": True},
        "key": output["key"],
    }
    assert str(handle.id) in output["key"]
    kinds = [e.kind for e in handle.history()]
    assert kinds.count("claimed") == 3  # start, after the sleep, after the event
    assert kinds.count("step") == 1  # "double" ran once; replays returned its checkpoint
