"""Wake-ups: NOTIFY gets an idle worker going at once; polling alone still works; a burst of
starts is announced by fewer notifications than starts (coalescing) and still runs at once."""

from __future__ import annotations

import random
import statistics
import time

import psycopg

import pgratchet
from tests.support import WorkerProcesses, all_finished, percentile, query, wait_for


def start_latency(conn: psycopg.Connection, run: int, timeout: float = 30.0) -> float:
    """Seconds from the run's creation to its body starting, both on the server's clock."""

    def started() -> list[dict]:
        return query(
            conn,
            "select extract(epoch from e.at - r.created_at)::float8 as secs"
            " from public.test_effects as e join ratchet.runs as r on r.id = e.run"
            " where e.run = %s",
            (run,),
        )

    return wait_for(started, timeout, f"run {run} to start", interval=0.005)[0]["secs"]


def test_an_idle_worker_woken_by_notify_starts_a_run_within_50_ms_at_the_median(
    app: pgratchet.App, dsn: str, workers: WorkerProcesses
):
    app.create_queue("wake", notify=True)
    app.register()
    # A 10 s poll interval: without NOTIFY an idle worker would take far longer to notice.
    workers.start(concurrency=2, queues=["wake"], poll_interval=10)
    app.start("ping").result(timeout=30)  # the worker is up and listening
    latencies = []
    with psycopg.connect(dsn, autocommit=True) as conn:
        for _ in range(30):
            time.sleep(random.uniform(0.3, 0.6))  # let the worker go idle, into its backoff
            latencies.append(start_latency(conn, app.start("ping").id))
    median, p95 = statistics.median(latencies), percentile(latencies, 95)
    print(
        f"\nNOTIFY wake-up, start -> body: median {median * 1000:.1f} ms,"
        f" p95 {p95 * 1000:.1f} ms, max {max(latencies) * 1000:.1f} ms (30 runs)"
    )
    assert median < 1.0


def test_a_worker_still_picks_up_work_when_the_queue_sends_no_notifications(
    app: pgratchet.App, dsn: str, workers: WorkerProcesses
):
    app.create_queue("quiet", notify=False)
    app.register()
    workers.start(concurrency=2, queues=["quiet"], poll_interval=1.0)
    latencies = []
    with psycopg.connect(dsn, autocommit=True) as conn:
        for _ in range(5):
            time.sleep(random.uniform(1.0, 2.0))  # the worker is idle, polling every ~1 s
            latencies.append(start_latency(conn, app.start("ping", queue="quiet").id, 20))
    print(
        f"\npolling only (poll interval 1 s): median {statistics.median(latencies) * 1000:.0f} ms,"
        f" max {max(latencies) * 1000:.0f} ms"
    )
    assert query(dsn, "select count(*) as n from ratchet.runs where status <> 'completed'") == [
        {"n": 0}
    ]


def test_notify_is_sent_once_per_transaction_for_ready_work_only(app: pgratchet.App, dsn: str):
    app.create_queue("quiet", notify=False)
    app.register()
    with psycopg.connect(dsn, autocommit=True) as listener:
        listener.execute("listen ratchet_wake")
        listener.execute("listen ratchet_quiet")

        def heard() -> list[str]:
            return [n.channel for n in listener.notifies(timeout=0.3)]

        app.start_many("ping", [{}] * 100)
        assert heard() == ["ratchet_wake"], "a batch start notifies once, not per row"
        app.start("ping", queue="quiet")
        assert heard() == [], "a queue with notify=false sends nothing"
        app.start("ping", delay=3600)
        assert heard() == [], "a run due in an hour is not ready work"
        app.pause_queue("wake")
        app.start("ping")
        assert heard() == [], "a paused queue has nothing to wake workers for"
        app.resume_queue("wake")
        heard()

        worker = app.db.value("select ratchet.register_worker('w', array['wake'])")
        assert app.db.execute("select task from ratchet.claim(%s, 5)", (worker,))
        heard()
        app.db.execute("select ratchet.heartbeat(%s)", (worker,))
        assert heard() == [], "heartbeats never notify"


def test_a_burst_of_starts_sends_fewer_notifications_and_runs_before_the_next_poll(
    app: pgratchet.App, dsn: str, workers: WorkerProcesses
):
    app.create_queue("wake", notify=True)
    app.register()
    # A long coalescing window, so that the whole burst certainly falls into one or two.
    query(dsn, "select ratchet.configure('notify_interval_ms', '500')")
    workers.start(concurrency=8, queues=["wake"], poll_interval=10)
    app.start("ping").result(timeout=30)  # the worker is up and listening
    # Idle for 16 s, the worker backs off to its 10 s polls: its pauses (0.05 s doubling to
    # 10 s, +-20 %) put the next poll at least 2.2 s after the burst. Only a NOTIFY can get
    # it going sooner than that.
    time.sleep(16)
    with psycopg.connect(dsn, autocommit=True) as listener, listener.cursor() as cur:
        cur.execute("listen ratchet_wake")
        began = time.monotonic()
        ids = [app.start("ping").id for _ in range(20)]  # 20 transactions
        first = start_latency(listener, ids[0], timeout=20)
        wait_for(lambda: all_finished(dsn, ids), 20, "the burst to be processed", interval=0.01)
        processed = time.monotonic() - began
        notes = list(listener.notifies(timeout=0.3))
    print(
        f"\nburst of {len(ids)} starts: {len(notes)} notification(s), first run started"
        f" {first * 1000:.0f} ms after its start, all processed in {processed * 1000:.0f} ms"
    )
    assert first < 1.0, "the first start woke the idle worker"
    assert 1 <= len(notes) < len(ids), "the starts were coalesced into fewer notifications"
    assert {n.payload for n in notes} == {"500"}, "each announces the coalescing window"
    assert processed < 2.0, "the coalesced runs did not wait for the next poll"


def test_a_producer_transaction_left_open_does_not_silence_its_queue(app: pgratchet.App, dsn: str):
    app.register()
    with (
        psycopg.connect(dsn, autocommit=True) as listener,
        psycopg.connect(dsn) as holder,
        psycopg.connect(dsn) as second,
    ):
        listener.execute("listen ratchet_wake")

        def heard() -> int:
            return len(list(listener.notifies(timeout=0.3)))

        # Each start below finds the queue's last wake-up older than the 10 ms window and
        # takes one of its two slots to announce its run; holder and second keep theirs.
        holder.execute("select ratchet.start('ping')")
        time.sleep(0.05)
        app.start("ping")
        assert heard() == 1, "with one producer open, the next one still notifies"
        second.execute("select ratchet.start('ping')")
        time.sleep(0.05)
        app.start("ping")
        assert heard() == 0, "with two open, whose NOTIFYs will go out, the next one need not"
        holder.commit()
        second.commit()
        assert heard() == 2, "the open producers notify at commit"
        time.sleep(0.05)
        app.start("ping")
        assert heard() == 1, "the slots are free again"
