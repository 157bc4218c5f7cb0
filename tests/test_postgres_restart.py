"""Durability against the database itself: an immediate (crash-like) Postgres shutdown in
the middle of a batch, and the cost of a checkpointed step on a durable cluster.

These tests run on their own cluster with the durable defaults (fsync and synchronous
commit on): the session cluster trades durability for speed.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from pgratchet import queries
from pgratchet.embedded import Cluster
from tests.conftest import bind_app, create_database, drop_database, start_cluster
from tests.support import (
    WorkerProcesses,
    all_finished,
    assert_invariants,
    count_runs_by_status,
    query,
    run_worker_until_idle,
    wait_for,
)

RUNS = 60


@pytest.fixture(scope="module")
def durable(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    cluster = start_cluster(tmp_path_factory.mktemp("durable"), {"max_connections": 100})
    yield cluster
    cluster.stop("fast")


def read_acks(ack_dir: Path) -> list[tuple[int, str, str, float]]:
    acks = []
    for path in ack_dir.glob("*.acks"):
        for line in path.read_text().splitlines():
            run, step, token, at = line.split()
            acks.append((int(run), step, token, float(at)))
    return acks


def steps_done(dsn: str) -> int:
    try:
        return query(dsn, "select count(*) as n from ratchet.steps")[0]["n"]
    except Exception:  # the server may be restarting
        return 0


def test_an_immediate_postgres_shutdown_loses_no_acknowledged_step_and_workers_reconnect(
    durable: Cluster, tmp_path: Path
):
    dsn = create_database(durable, "restart")
    workers = WorkerProcesses(dsn, tmp_path)
    try:
        app = bind_app(dsn)
        app.create_queue("durable", lease=30, max_attempts=50, backoff={"initial": 0.2, "max": 2})
        app.register()
        ack_dir = tmp_path / "acks"
        ack_dir.mkdir()
        env = {"PGRATCHET_TEST_ACK_DIR": str(ack_dir)}
        procs = [
            workers.start(concurrency=4, queues=["durable"], poll_interval=0.2, env=env)
            for _ in range(2)
        ]
        ids = [h.id for h in app.start_many("acked_steps", [{"pause": 0.05}] * RUNS)]
        app.close()

        wait_for(lambda: steps_done(dsn) >= RUNS, 60, "a fifth of the steps to be done")
        finished_before = count_runs_by_status(dsn, ids).get("completed", 0)
        durable.stop("immediate")
        crashed_at = time.time()
        acked_before = [a for a in read_acks(ack_dir) if a[3] < crashed_at]
        time.sleep(1.0)
        durable.start()
        restarted_at = time.time()

        wait_for(lambda: all_finished(dsn, ids), 180, f"{RUNS} runs to finish", interval=0.3)
        assert count_runs_by_status(dsn, ids) == {"completed": RUNS}
        assert all(p.poll() is None for p in procs), "the same worker processes carried on"

        # Every acknowledged step still holds the very result that was acknowledged: had a
        # checkpoint been lost, the step would have run again and stored a new token.
        stored = {
            (r["run_id"], r["name"]): r["result"]
            for r in query(dsn, "select run_id, name, result from ratchet.steps")
        }
        acks = read_acks(ack_dir)
        lost = [a for a in acks if stored.get((a[0], a[1])) != a[2]]
        assert not lost, f"acknowledged steps lost or changed: {lost[:10]}"
        assert len(acked_before) > 0
        assert finished_before < RUNS, "the shutdown should hit the batch in the middle"
        assert {(a[0], a[1]) for a in acks} == set(stored), "every step was acknowledged once"
        per_run = Counter(run for run, _ in stored)
        assert set(per_run.values()) == {5}

        # Both original workers reconnected by themselves and did work after the restart.
        after = query(
            dsn,
            "select distinct pid from public.test_effects where at > to_timestamp(%s)",
            (restarted_at,),
        )
        assert {r["pid"] for r in after} == {p.pid for p in procs}
        print(
            f"\npostgres restart: immediate shutdown with {finished_before}/{RUNS} runs done and"
            f" {len(acked_before)} steps acknowledged; all {len(acks)} acknowledged steps"
            " intact after recovery"
        )
        assert_invariants(dsn)
    finally:
        workers.stop_all()
        workers.report()
        drop_database(durable, dsn)


@pytest.mark.parametrize("where", ["durable", "fast"])
def test_a_checkpointed_step_costs_one_round_trip_and_a_few_milliseconds(
    where: str, request: pytest.FixtureRequest
):
    cluster: Cluster = request.getfixturevalue("durable" if where == "durable" else "cluster")
    dsn = create_database(cluster, f"overhead_{where}")
    app = bind_app(dsn)
    calls: Counter[str] = Counter()
    execute = app.db.execute

    def counting(query_text, *args, **kwargs):
        if threading.current_thread().name.startswith("pgratchet-exec"):
            calls[str(query_text)] += 1
        return execute(query_text, *args, **kwargs)

    app.db.execute = counting
    try:
        steps = 300
        handle = app.start("many_steps", {"n": steps})
        run_worker_until_idle(app, queues=["overhead"], concurrency=1)
        output = handle.result(timeout=5)
        per_step_ms = output["secs"] / steps * 1000
        checkpoints = calls[queries.CHECKPOINT]
        body_calls = sum(calls.values()) - calls[queries.COMPLETE]
        print(
            f"\nper-step overhead ({where} cluster): {per_step_ms:.2f} ms per checkpointed step,"
            f" {body_calls / steps:.2f} round trips per step ({steps} steps)"
        )
        assert checkpoints == steps
        assert body_calls == steps, f"unexpected calls from the body: {calls}"
        assert per_step_ms < 250  # generous: a few ms is expected
        assert_invariants(dsn)
    finally:
        app.close()
        drop_database(cluster, dsn)
