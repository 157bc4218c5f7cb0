"""DBOS Transact (Python, system database in Postgres): W1, W2, W3, W4.

Jobs are queued workflows. Enqueue goes through DBOSClient.enqueue_in_transaction, 1,000 per
transaction (the only batching DBOS offers). Processing is DBOS's own queue runner in a launched
DBOS process: it polls the queue table every `polling_interval_sec` and runs each workflow on its
thread pool; each step is checkpointed in `dbos.operation_outputs`.

Each phase runs in a fresh spawned process, because DBOS is a process-wide singleton.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import sys
import time
from multiprocessing.sharedctypes import Synchronized
from typing import Any

import common
import psycopg

NAME = "dbos"
common.set_name(NAME)
WORKLOADS = ("w1", "w2", "w3", "w4")
QUEUE = "bench"
VERSION = "bench"
ENQUEUE_BATCH = 1000
# Settings: DBOS defaults (1 s polling, no per-worker limit) measured fastest here; see docs.
POLL = float(os.environ.get("BENCH_DBOS_POLL", "1.0"))
WORKER_CONCURRENCY = int(os.environ.get("BENCH_DBOS_CONCURRENCY", "0")) or None


def _url(dsn: str) -> str:
    p = dict(kv.split("=", 1) for kv in dsn.split())
    return f"postgresql+psycopg://{p['user']}@/{p['dbname']}?host={p['host']}&port={p['port']}"


def _dbos(dsn: str, poll: float | None, hook: Any = None) -> Any:
    """Launch a DBOS app with workflow `noop` (running k no-op steps) and the queue."""
    from dbos import DBOS

    DBOS(
        config={
            "name": "bench",
            "system_database_url": _url(dsn),
            "application_version": VERSION,
            "log_level": "WARNING",
            "run_admin_server": False,
            "sys_db_pool_size": 20,
        }
    )

    @DBOS.step(name="s")
    def s(i: int) -> int:
        return i

    @DBOS.workflow(name="noop")
    def noop(k: int = 0) -> int:
        if hook is not None:
            hook()
        for i in range(k):
            s(i)
        return k

    DBOS.launch()
    if poll is None:
        return DBOS
    # A queue is registered in the system database, so only once DBOS is launched.
    DBOS.register_queue(
        QUEUE,
        worker_concurrency=WORKER_CONCURRENCY,
        polling_interval_sec=poll,
        on_conflict="always_update",
    )
    return DBOS


def _migrate(dsn: str) -> None:
    dbos = _dbos(dsn, None)
    dbos.destroy(destroy_registry=True)


def _in_child(fn: Any, *args: Any) -> Any:
    ctx = mp.get_context("spawn")
    with ctx.Pool(1) as pool:
        return pool.apply(fn, args)


def _enqueue(dsn: str, n: int, steps: int) -> None:
    import sqlalchemy as sa
    from dbos import DBOSClient

    engine = sa.create_engine(_url(dsn))
    client = DBOSClient(system_database_url=_url(dsn))
    opts = {"queue_name": QUEUE, "workflow_name": "noop", "app_version": VERSION}
    try:
        for i in range(0, n, ENQUEUE_BATCH):
            with engine.begin() as conn:
                for _ in range(min(ENQUEUE_BATCH, n - i)):
                    client.enqueue_in_transaction(conn, opts, steps)  # type: ignore[arg-type]
    finally:
        client.destroy()
        engine.dispose()


def _done(dsn: str) -> int:
    with psycopg.connect(dsn, autocommit=True) as c:
        row = c.execute("SELECT count(*) FROM dbos.workflow_status WHERE status = 'SUCCESS'")
        return int(row.fetchone()[0])  # type: ignore[index]


def _process(dsn: str, n: int, steps: int) -> float:
    t0 = time.perf_counter()
    dbos = _dbos(dsn, POLL)
    common.progress(f"launched in {time.perf_counter() - t0:.2f}s")
    with psycopg.connect(dsn, autocommit=True) as c:
        while True:
            row = c.execute(
                "SELECT count(*) FROM dbos.workflow_status WHERE status = 'SUCCESS'"
            ).fetchone()
            if row is not None and row[0] >= n:
                break
            time.sleep(0.01)
    elapsed = time.perf_counter() - t0
    dbos.destroy(destroy_registry=True)
    return elapsed


def _run(dsn: str, n: int, steps: int) -> dict[str, Any]:
    _in_child(_migrate, dsn)
    s0 = common.db_stats(dsn)
    t0 = time.perf_counter()
    _in_child(_enqueue, dsn, n, steps)
    t_enq = time.perf_counter() - t0
    s1 = common.db_stats(dsn)
    common.progress(f"enqueued {n} in {t_enq:.2f}s; processing")
    t_proc = _in_child(_process, dsn, n, steps)
    s2 = common.db_stats(dsn)
    common.progress(f"processed {n} ({steps} steps each) in {t_proc:.2f}s ({n / t_proc:.0f}/s)")
    return {
        "n": n,
        "enqueue_s": t_enq,
        "process_s": t_proc,
        "seconds": t_proc,
        "stats": {"enqueue": common.delta(s0, s1), "process": common.delta(s1, s2)},
    }


def w1(dsn: str, n: int) -> dict[str, Any]:
    return _run(dsn, n, 0)


def w2(dsn: str, n: int, steps: int) -> dict[str, Any]:
    return _run(dsn, n, steps)


_started: dict[str, float] = {}


def _mark() -> None:
    from dbos import DBOS

    _started[DBOS.workflow_id or ""] = time.perf_counter()


def _w3(dsn: str, n: int, gap_ms: float, poll: float) -> list[float]:
    from dbos import DBOSClient

    dbos = _dbos(dsn, poll, hook=_mark)
    client = DBOSClient(system_database_url=_url(dsn))
    time.sleep(1.5)
    committed: dict[str, float] = {}
    opts = {"queue_name": QUEUE, "workflow_name": "noop", "app_version": VERSION}
    for _ in range(n):
        h = client.enqueue(opts, 0)  # type: ignore[arg-type]
        committed[h.workflow_id] = time.perf_counter()
        time.sleep(gap_ms / 1000)
    deadline = time.monotonic() + 10
    while len(_started) < n and time.monotonic() < deadline:
        time.sleep(0.01)
    client.destroy()
    dbos.destroy(destroy_registry=True)
    return [(_started[w] - committed[w]) * 1000 for w in committed if w in _started]


def w3(dsn: str, n: int, gap_ms: float, poll: float = 1.0) -> dict[str, Any]:
    _in_child(_migrate, dsn)
    lat = _in_child(_w3, dsn, n, gap_ms, poll)
    common.progress(f"W3 p99 {common.percentiles(lat).get('p99', float('nan')):.2f} ms")
    return {"latencies_ms": lat, "missing": n - len(lat)}


def _w4_worker(dsn: str, counter: Synchronized, stop: Any) -> None:
    def bump() -> None:
        with counter.get_lock():
            counter.value += 1

    dbos = _dbos(dsn, POLL, hook=bump)
    while not stop.is_set():
        time.sleep(0.2)
    dbos.destroy(destroy_registry=True)


def w4(dsn: str, seconds: float, rate: float, hold: float) -> dict[str, Any]:
    import sqlalchemy as sa
    from dbos import DBOSClient

    _in_child(_migrate, dsn)
    ctx = mp.get_context("spawn")
    counter = ctx.Value("q", 0)
    stop = ctx.Event()
    worker = ctx.Process(target=_w4_worker, args=(dsn, counter, stop))
    worker.start()
    engine = sa.create_engine(_url(dsn))
    client = DBOSClient(system_database_url=_url(dsn))
    opts = {"queue_name": QUEUE, "workflow_name": "noop", "app_version": VERSION}

    def enqueue(k: int) -> None:
        with engine.begin() as conn:
            for _ in range(k):
                client.enqueue_in_transaction(conn, opts, 0)  # type: ignore[arg-type]

    try:
        result = common.Stream(dsn, seconds, rate, hold, enqueue, lambda: counter.value).run()
    finally:
        stop.set()
        worker.join(60)
        client.destroy()
        engine.dispose()
    return result


if __name__ == "__main__":
    common.main(sys.modules[__name__])
