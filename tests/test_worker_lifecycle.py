"""Worker processes that die or are told to stop: leases, reclaim, hand-back."""

from __future__ import annotations

import signal
import time
from datetime import datetime

import pgratchet
from tests.support import WorkerProcesses, check_no_overlapping_holds, query, wait_for


def kinds(handle: pgratchet.RunHandle) -> list[str]:
    return [e.kind for e in handle.history()]


def effects(dsn: str, run: int) -> list[dict]:
    return query(
        dsn, "select attempt, pid, at from public.test_effects where run = %s order by id", (run,)
    )


def test_a_run_whose_worker_is_killed_is_reclaimed_after_the_lease_and_completes(
    app: pgratchet.App, dsn: str, workers: WorkerProcesses
):
    app.create_queue("slow", lease=2, backoff={"initial": 0.1, "jitter": 0})
    app.register()
    first = workers.start(concurrency=2, queues=["slow"], poll_interval=0.2)
    handle = app.start("slow", {"secs": 3.0, "only_first": True})
    wait_for(lambda: effects(dsn, handle.id), 30, "the body to start")
    workers.kill(first, signal.SIGKILL)
    killed_at = time.monotonic()

    second = workers.start(concurrency=2, queues=["slow"], poll_interval=0.2)
    assert handle.result(timeout=30) == {"slept": 3.0}
    print(f"\nrecovered {time.monotonic() - killed_at:.1f}s after the SIGKILL (lease 2s)")

    history = handle.history()
    assert [e.kind for e in history] == [
        "created",
        "claimed",
        "lease_expired",
        "retrying",
        "claimed",
        "completed",
    ]
    claims = [e for e in history if e.kind == "claimed"]
    expired = next(e for e in history if e.kind == "lease_expired")
    assert [c.detail["attempt"] for c in claims] == [1, 2]
    assert claims[0].detail["worker"] != claims[1].detail["worker"]
    assert expired.detail["task"] == claims[0].detail["task"]
    # Reclaimed only once the lease had run out, not before.
    assert claims[1].at >= expired.at
    assert expired.at >= datetime.fromisoformat(claims[0].detail["lease_expires_at"])
    assert handle.info()["attempt"] == 2
    ran = effects(dsn, handle.id)
    assert [(e["attempt"], e["pid"]) for e in ran] == [(1, first.pid), (2, second.pid)]
    check_no_overlapping_holds(dsn, [handle.id])


def test_sigterm_lets_in_flight_runs_finish_before_the_worker_exits(
    app: pgratchet.App, dsn: str, workers: WorkerProcesses
):
    app.register()
    proc = workers.start(concurrency=2, queues=["slow"], shutdown_grace=30)
    handles = [app.start("slow", {"secs": 1.5}) for _ in range(2)]
    wait_for(lambda: all(effects(dsn, h.id) for h in handles), 30, "both bodies to start")
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=30) == 0
    for h in handles:
        assert h.status() == "completed"
        assert kinds(h) == ["created", "claimed", "completed"]
    worker = query(dsn, "select deregistered_at from ratchet.workers")
    assert len(worker) == 1 and worker[0]["deregistered_at"] is not None
    assert "deregistered; 0 task(s) handed back" in workers.log_of(proc)


def test_sigterm_hands_back_runs_that_outlast_the_grace_period(
    app: pgratchet.App, dsn: str, workers: WorkerProcesses
):
    app.register()
    proc = workers.start(concurrency=1, queues=["slow"], shutdown_grace=0.5)
    handle = app.start("slow", {"secs": 60, "only_first": True})
    wait_for(lambda: effects(dsn, handle.id), 30, "the body to start")
    stopped = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=20) == 0
    print(f"\nworker exited {time.monotonic() - stopped:.1f}s after SIGTERM (grace 0.5s)")
    assert handle.status() == "queued"
    assert kinds(handle)[-1] == "handed_back"

    workers.start(concurrency=1, queues=["slow"])
    assert handle.result(timeout=30) == {"slept": 60}
    assert kinds(handle) == ["created", "claimed", "handed_back", "claimed", "completed"]
    # A hand-back is not a failure: the attempt stays the same.
    assert handle.info()["attempt"] == 1
    assert handle.info()["error"] is None
    check_no_overlapping_holds(dsn, [handle.id])


def test_a_run_that_kills_its_worker_every_time_ends_failed(
    app: pgratchet.App, dsn: str, workers: WorkerProcesses
):
    app.create_queue("doomed", lease=1, max_attempts=2, backoff={"initial": 0.1, "jitter": 0})
    app.register()
    handle = app.start("kills_its_worker")
    deadline = time.monotonic() + 60
    while handle.status() not in ("failed", "completed") and time.monotonic() < deadline:
        if not workers.alive():
            workers.start(concurrency=1, queues=["doomed"], poll_interval=0.2)
        time.sleep(0.2)
    assert handle.status() == "failed"
    assert handle.info()["error"] == {"lease_expired": True}
    assert kinds(handle) == [
        "created",
        "claimed",
        "lease_expired",
        "retrying",
        "claimed",
        "lease_expired",
        "failed",
    ]
    assert len(effects(dsn, handle.id)) == 2


def test_a_frozen_worker_whose_lease_expired_is_fenced_when_it_wakes_up(
    app: pgratchet.App, dsn: str, workers: WorkerProcesses
):
    app.create_queue("crashy", lease=1, backoff={"initial": 0.1, "jitter": 0})
    app.register()
    frozen = workers.start(concurrency=1, queues=["crashy"], poll_interval=0.2)
    handle = app.start("five_steps", {"pause": 0.4})
    wait_for(lambda: effects(dsn, handle.id), 30, "the first step to start")
    frozen.send_signal(signal.SIGSTOP)  # no heartbeats, no progress: the lease runs out
    try:
        rescuer = workers.start(concurrency=1, queues=["crashy"], poll_interval=0.2)
        assert handle.result(timeout=60) == {"steps": 5}
    finally:
        frozen.send_signal(signal.SIGCONT)
    wait_for(lambda: "abandoned" in workers.log_of(frozen), 30, "the woken worker to give up")
    time.sleep(1.0)  # give the woken worker every chance to do damage

    history = handle.history()
    completions = [e for e in history if e.kind == "completed"]
    claims = [e for e in history if e.kind == "claimed"]
    assert len(completions) == 1
    assert completions[0].detail["task"] == claims[-1].detail["task"]
    assert [c.detail["attempt"] for c in claims] == [1, 2]
    assert handle.info()["attempt"] == 2
    steps = query(
        dsn, "select name from ratchet.steps where run_id = %s order by seq", (handle.id,)
    )
    assert [s["name"] for s in steps] == ["s1", "s2", "s3", "s4", "s5"]
    pids = {e["pid"] for e in effects(dsn, handle.id)}
    assert pids == {frozen.pid, rescuer.pid}
    assert frozen.poll() is None, "the woken worker carries on serving its queues"
    check_no_overlapping_holds(dsn, [handle.id])
