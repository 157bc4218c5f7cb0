"""Procrastinate (psycopg 3, async): W1 (batch_defer, async worker), W3, W4.

The worker runs an async no-op task with `concurrency` in-flight jobs; each job costs
Procrastinate a fetch and a finish call (its own SQL functions). W1 uses `wait=False`, so the
worker returns once it has caught up with the queue.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing as mp
import os
import sys
import time
from multiprocessing.sharedctypes import Synchronized
from typing import Any

import common
import procrastinate

NAME = "procrastinate"
common.set_name(NAME)
WORKLOADS = ("w1", "w3", "w4")
# Our module is __main__ on purpose (one small script per system): not worth a warning per run.
logging.getLogger("procrastinate.blueprints").setLevel(logging.ERROR)
CONCURRENCY = int(os.environ.get("BENCH_PROCRASTINATE_CONCURRENCY", "20"))
ENQUEUE_BATCH = 1000


def _app(dsn: str, max_size: int = CONCURRENCY + 4) -> procrastinate.App:
    return procrastinate.App(
        connector=procrastinate.PsycopgConnector(conninfo=dsn, min_size=1, max_size=max_size)
    )


def _install(dsn: str) -> None:
    app = _app(dsn)
    with app.open():
        app.schema_manager.apply_schema()


def _worker_opts(wait: bool, delete_jobs: str = "never") -> dict[str, Any]:
    return {
        "queues": ["default"],
        "concurrency": CONCURRENCY,
        "wait": wait,
        "install_signal_handlers": False,
        "listen_notify": True,
        "fetch_job_polling_interval": 0.5,
        "delete_jobs": delete_jobs,
    }


async def _enqueue(dsn: str, n: int) -> None:
    app = _app(dsn)

    @app.task(name="noop")
    async def noop() -> None:
        return None

    async with app.open_async():
        for i in range(0, n, ENQUEUE_BATCH):
            await noop.batch_defer_async(*[{} for _ in range(min(ENQUEUE_BATCH, n - i))])


async def _process(dsn: str) -> int:
    app = _app(dsn)
    seen = 0

    @app.task(name="noop")
    async def noop() -> None:
        nonlocal seen
        seen += 1

    async with app.open_async():
        await app.run_worker_async(**_worker_opts(wait=False))
    return seen


def w1(dsn: str, n: int) -> dict[str, Any]:
    _install(dsn)
    s0 = common.db_stats(dsn)
    t0 = time.perf_counter()
    asyncio.run(_enqueue(dsn, n))
    t_enq = time.perf_counter() - t0
    s1 = common.db_stats(dsn)
    common.progress(f"W1 enqueued {n} in {t_enq:.2f}s; processing")
    t0 = time.perf_counter()
    seen = asyncio.run(_process(dsn))
    t_proc = time.perf_counter() - t0
    s2 = common.db_stats(dsn)
    if seen != n:
        raise RuntimeError(f"procrastinate processed {seen} of {n}")
    common.progress(f"W1 processed {n} in {t_proc:.2f}s ({n / t_proc:.0f}/s)")
    return {
        "n": n,
        "enqueue_s": t_enq,
        "process_s": t_proc,
        "stats": {"enqueue": common.delta(s0, s1), "process": common.delta(s1, s2)},
    }


async def _w3(dsn: str, n: int, gap_ms: float) -> list[float]:
    app = _app(dsn)
    started: dict[int, float] = {}

    @app.task(name="noop", pass_context=True)
    async def noop(context: procrastinate.JobContext) -> None:
        assert context.job.id is not None
        started[context.job.id] = time.perf_counter()

    committed: dict[int, float] = {}
    async with app.open_async():
        worker = asyncio.create_task(app.run_worker_async(**_worker_opts(wait=True)))
        await asyncio.sleep(1.5)  # let the worker go idle on LISTEN
        eapp = _app(dsn, max_size=2)
        enoop = eapp.configure_task("noop")
        async with eapp.open_async():
            for _ in range(n):
                jid = await enoop.defer_async()
                committed[jid] = time.perf_counter()
                await asyncio.sleep(gap_ms / 1000)
        deadline = time.monotonic() + 10
        while len(started) < n and time.monotonic() < deadline:
            await asyncio.sleep(0.01)
        worker.cancel()
        with contextlib.suppress(asyncio.CancelledError, TimeoutError):
            await asyncio.wait_for(worker, 30)
    return [(started[j] - committed[j]) * 1000 for j in committed if j in started]


def w3(dsn: str, n: int, gap_ms: float) -> dict[str, Any]:
    _install(dsn)
    lat = asyncio.run(_w3(dsn, n, gap_ms))
    common.progress(f"W3 p99 {common.percentiles(lat).get('p99', float('nan')):.2f} ms")
    return {"latencies_ms": lat, "missing": n - len(lat)}


def _w4_worker(dsn: str, counter: Synchronized, stop: Any) -> None:
    async def run() -> None:
        app = _app(dsn)

        @app.task(name="noop")
        async def noop() -> None:
            with counter.get_lock():
                counter.value += 1

        async with app.open_async():
            worker = asyncio.create_task(
                app.run_worker_async(**_worker_opts(wait=True, delete_jobs="successful"))
            )
            while not stop.is_set():
                await asyncio.sleep(0.2)
            worker.cancel()
            with contextlib.suppress(asyncio.CancelledError, TimeoutError):
                await asyncio.wait_for(worker, 30)

    asyncio.run(run())


def w4(dsn: str, seconds: float, rate: float, hold: float) -> dict[str, Any]:
    _install(dsn)
    ctx = mp.get_context("spawn")
    counter = ctx.Value("q", 0)
    stop = ctx.Event()
    worker = ctx.Process(target=_w4_worker, args=(dsn, counter, stop))
    worker.start()
    app = _app(dsn, max_size=2)
    noop = app.configure_task("noop")
    try:
        with app.open():
            result = common.Stream(
                dsn,
                seconds,
                rate,
                hold,
                lambda k: noop.batch_defer(*[{} for _ in range(k)]),
                lambda: counter.value,
            ).run()
    finally:
        stop.set()
        worker.join(60)
    return result


if __name__ == "__main__":
    common.main(sys.modules[__name__])
