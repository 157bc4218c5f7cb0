"""Retries: exponential backoff with jitter on the engine's (fake) clock, attempt limits per
step and per body."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pgratchet
from tests.conftest import bind_app
from tests.support import fake_clock_dsn, query, run_worker_until_idle

T0 = datetime(2030, 1, 1, tzinfo=UTC)
INITIAL, FACTOR, CAP, JITTER, MAX_ATTEMPTS = 10.0, 5.0, 100.0, 0.2, 4
RUNS = 20


def run_worker_at(dsn: str, at: datetime) -> None:
    """One worker pass with the engine clock frozen at ``at``."""
    app = bind_app(fake_clock_dsn(dsn, at))
    try:
        run_worker_until_idle(app, idle=0.3, queues=["flaky"], concurrency=8)
    finally:
        app.close()


def latest(dsn: str, kind: str, ids: list[int]) -> dict[int, dict]:
    rows = query(
        dsn,
        "select distinct on (run_id) run_id, at, detail from ratchet.history"
        " where kind = %s and run_id = any(%s) order by run_id, id desc",
        (kind, ids),
    )
    return {r["run_id"]: r for r in rows}


def claims(dsn: str, ids: list[int]) -> int:
    return query(
        dsn,
        "select count(*) as n from ratchet.history where kind = 'claimed' and run_id = any(%s)",
        (ids,),
    )[0]["n"]


def test_retries_follow_the_backoff_policy_on_the_fake_clock_and_stop_at_max_attempts(dsn):
    starter = bind_app(fake_clock_dsn(dsn, T0))
    starter.create_queue(
        "flaky",
        max_attempts=MAX_ATTEMPTS,
        backoff={"initial": INITIAL, "factor": FACTOR, "max": CAP, "jitter": JITTER},
    )
    ids = [h.id for h in starter.start_many("always_fails", [{}] * RUNS)]
    starter.close()

    now = T0
    for failure in range(1, MAX_ATTEMPTS):
        run_worker_at(dsn, now)
        retrying = latest(dsn, "retrying", ids)
        assert len(retrying) == RUNS, f"failure {failure}: not every run was retried"
        expected = min(INITIAL * FACTOR ** (failure - 1), CAP)
        delays = []
        for entry in retrying.values():
            assert entry["at"] == now
            assert entry["detail"]["failures"] == failure
            retry_at = datetime.fromisoformat(entry["detail"]["retry_at"])
            delays.append((retry_at - now).total_seconds())
        low, high = expected * (1 - JITTER), expected * (1 + JITTER)
        print(
            f"\nfailure {failure}: policy {expected:.0f}s +-{JITTER:.0%},"
            f" delays {min(delays):.1f}..{max(delays):.1f}s"
        )
        assert all(low - 0.001 <= d <= high + 0.001 for d in delays), delays
        # Jitter spreads the retries: 20 draws are not all the same.
        assert max(delays) - min(delays) > 0.1 * expected
        assert all(
            r["status"] == "queued" and r["attempt"] == failure + 1
            for r in query(
                dsn, "select status, attempt from ratchet.runs where id = any(%s)", (ids,)
            )
        )

        # Not claimable a second before the earliest retry time ...
        before = claims(dsn, ids)
        run_worker_at(dsn, now + timedelta(seconds=min(delays) - 1))
        assert claims(dsn, ids) == before
        # ... and all of them at the latest one.
        now += timedelta(seconds=max(delays))

    run_worker_at(dsn, now)
    runs = query(
        dsn, "select status, attempt, error, failures from ratchet.runs where id = any(%s)", (ids,)
    )
    assert {r["status"] for r in runs} == {"failed"}
    assert {r["attempt"] for r in runs} == {MAX_ATTEMPTS}
    assert all(f"boom on attempt {MAX_ATTEMPTS}" in r["error"]["message"] for r in runs)
    failed = latest(dsn, "failed", ids)
    assert {e["detail"]["failures"] for e in failed.values()} == {MAX_ATTEMPTS}
    bodies = query(
        dsn,
        "select run, count(*) as n from public.test_effects where run = any(%s) group by run",
        (ids,),
    )
    assert {r["n"] for r in bodies} == {MAX_ATTEMPTS}
    assert len(bodies) == RUNS

    # Failed for good: a later worker pass, even days later, runs nothing.
    before = claims(dsn, ids)
    run_worker_at(dsn, now + timedelta(days=1))
    assert claims(dsn, ids) == before


def test_the_attempt_limit_counts_failures_of_each_step_separately(app: pgratchet.App, dsn):
    app.create_queue("steps", max_attempts=2, backoff={"initial": 0.05, "jitter": 0})
    handle = app.start("flaky_steps")
    run_worker_until_idle(app, idle=0.5, queues=["steps"])
    # Steps a and b failed once each: two failures, but neither step reached the limit of 2.
    assert handle.result(timeout=1) == {"attempt": 3}
    assert handle.info()["failures"] == {"a": 1, "b": 1}


def test_a_step_max_attempts_overrides_the_queue_limit(app: pgratchet.App, dsn):
    app.create_queue("steps", max_attempts=10, backoff={"initial": 0.05, "jitter": 0})
    handle = app.start("step_with_own_limit", {"limit": 2})
    run_worker_until_idle(app, idle=0.5, queues=["steps"])
    assert handle.status() == "failed"
    assert handle.info()["attempt"] == 2
    ran = query(dsn, "select count(*) as n from public.test_effects where run = %s", (handle.id,))
    assert ran[0]["n"] == 2
    try:
        handle.result(timeout=1)
    except pgratchet.RunFailed as exc:
        assert exc.error["step"] == "doomed"
        assert "always fails" in exc.error["message"]
    else:
        raise AssertionError("result() should raise RunFailed")


def test_a_permanent_error_fails_the_run_without_retrying(app: pgratchet.App, dsn):
    app.create_queue("steps", max_attempts=10, backoff={"initial": 0.05, "jitter": 0})
    handle = app.start("gives_up")
    run_worker_until_idle(app, idle=0.5, queues=["steps"])
    assert handle.status() == "failed"
    assert handle.info()["attempt"] == 1
    assert [e.kind for e in handle.history()][-1] == "failed"
