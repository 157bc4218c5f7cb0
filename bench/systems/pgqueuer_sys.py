"""PgQueuer (asyncpg): W1 (batch enqueue, worker with dequeue batches of 100), W3, W4.

Completion is PgQueuer's own: it buffers finished jobs and deletes them from `pgqueuer` while
logging them to `pgqueuer_log`, in batches. Processing ends when the queue table is empty.
"""

from __future__ import annotations

import asyncio
import multiprocessing as mp
import sys
import time
from datetime import timedelta
from multiprocessing.sharedctypes import Synchronized
from typing import Any

import asyncpg
import common
from pgqueuer import PgQueuer
from pgqueuer.db import AsyncpgDriver
from pgqueuer.models import Job
from pgqueuer.queries import Queries

NAME = "pgqueuer"
common.set_name(NAME)
WORKLOADS = ("w1", "w3", "w4")
BATCH = 100
ENQUEUE_BATCH = 1000


def _url(dsn: str) -> dict[str, Any]:
    parts = dict(p.split("=", 1) for p in dsn.split())
    return {
        "host": parts["host"],
        "port": int(parts["port"]),
        "user": parts["user"],
        "database": parts["dbname"],
    }


async def _install(dsn: str) -> None:
    conn = await asyncpg.connect(**_url(dsn))
    try:
        q = Queries(AsyncpgDriver(conn))
        if not await q.schema_is_installed():
            await q.install()
    finally:
        await conn.close()


async def _enqueue(dsn: str, n: int) -> None:
    conn = await asyncpg.connect(**_url(dsn))
    try:
        q = Queries(AsyncpgDriver(conn))
        for i in range(0, n, ENQUEUE_BATCH):
            k = min(ENQUEUE_BATCH, n - i)
            await q.enqueue(["noop"] * k, [None] * k, [0] * k)
    finally:
        await conn.close()


async def _queue_len(conn: asyncpg.Connection) -> int:
    return int(await conn.fetchval("SELECT count(*) FROM pgqueuer"))


async def _process(dsn: str, n: int) -> None:
    conn = await asyncpg.connect(**_url(dsn))
    mon = await asyncpg.connect(**_url(dsn))
    pgq = PgQueuer(AsyncpgDriver(conn))
    seen = 0

    @pgq.entrypoint("noop")
    async def noop(job: Job) -> None:
        nonlocal seen
        seen += 1

    runner = asyncio.create_task(pgq.run(batch_size=BATCH, dequeue_timeout=timedelta(seconds=1)))
    try:
        while seen < n or await _queue_len(mon) > 0:
            if runner.done():
                runner.result()
                raise RuntimeError("pgqueuer stopped early")
            await asyncio.sleep(0.005)
    finally:
        pgq.shutdown.set()
        await asyncio.wait_for(runner, 30)
        await mon.close()
        await conn.close()


def w1(dsn: str, n: int) -> dict[str, Any]:
    asyncio.run(_install(dsn))
    s0 = common.db_stats(dsn)
    t0 = time.perf_counter()
    asyncio.run(_enqueue(dsn, n))
    t_enq = time.perf_counter() - t0
    s1 = common.db_stats(dsn)
    common.progress(f"W1 enqueued {n} in {t_enq:.2f}s; processing")
    t0 = time.perf_counter()
    asyncio.run(_process(dsn, n))
    t_proc = time.perf_counter() - t0
    s2 = common.db_stats(dsn)
    common.progress(f"W1 processed {n} in {t_proc:.2f}s ({n / t_proc:.0f}/s)")
    return {
        "n": n,
        "enqueue_s": t_enq,
        "process_s": t_proc,
        "stats": {"enqueue": common.delta(s0, s1), "process": common.delta(s1, s2)},
    }


async def _w3(dsn: str, n: int, gap_ms: float) -> list[float]:
    await _install(dsn)
    wconn = await asyncpg.connect(**_url(dsn))
    econn = await asyncpg.connect(**_url(dsn))
    pgq = PgQueuer(AsyncpgDriver(wconn))
    started: dict[int, float] = {}

    @pgq.entrypoint("noop")
    async def noop(job: Job) -> None:
        started[int(job.id)] = time.perf_counter()

    runner = asyncio.create_task(pgq.run(batch_size=BATCH, dequeue_timeout=timedelta(seconds=30)))
    await asyncio.sleep(1.0)  # let the worker go idle on LISTEN
    q = Queries(AsyncpgDriver(econn))
    committed: dict[int, float] = {}
    for _ in range(n):
        (jid,) = await q.enqueue("noop", None)
        committed[int(jid)] = time.perf_counter()
        await asyncio.sleep(gap_ms / 1000)
    deadline = time.monotonic() + 10
    while len(started) < n and time.monotonic() < deadline:
        await asyncio.sleep(0.01)
    pgq.shutdown.set()
    await asyncio.wait_for(runner, 30)
    await wconn.close()
    await econn.close()
    return [(started[j] - committed[j]) * 1000 for j in committed if j in started]


def w3(dsn: str, n: int, gap_ms: float) -> dict[str, Any]:
    lat = asyncio.run(_w3(dsn, n, gap_ms))
    common.progress(f"W3 p99 {common.percentiles(lat).get('p99', float('nan')):.2f} ms")
    return {"latencies_ms": lat, "missing": n - len(lat)}


def _w4_worker(dsn: str, counter: Synchronized, stop: Any) -> None:
    async def run() -> None:
        conn = await asyncpg.connect(**_url(dsn))
        pgq = PgQueuer(AsyncpgDriver(conn))

        @pgq.entrypoint("noop")
        async def noop(job: Job) -> None:
            with counter.get_lock():
                counter.value += 1

        runner = asyncio.create_task(
            pgq.run(batch_size=BATCH, dequeue_timeout=timedelta(seconds=1))
        )
        while not stop.is_set():
            await asyncio.sleep(0.2)
        pgq.shutdown.set()
        await asyncio.wait_for(runner, 30)
        await conn.close()

    asyncio.run(run())


def w4(dsn: str, seconds: float, rate: float, hold: float) -> dict[str, Any]:
    asyncio.run(_install(dsn))
    ctx = mp.get_context("spawn")
    counter = ctx.Value("q", 0)
    stop = ctx.Event()
    worker = ctx.Process(target=_w4_worker, args=(dsn, counter, stop))
    worker.start()
    loop = asyncio.new_event_loop()
    conn = loop.run_until_complete(asyncpg.connect(**_url(dsn)))
    q = Queries(AsyncpgDriver(conn))

    def enqueue(k: int) -> None:
        loop.run_until_complete(q.enqueue(["noop"] * k, [None] * k, [0] * k))

    try:
        result = common.Stream(dsn, seconds, rate, hold, enqueue, lambda: counter.value).run()
    finally:
        stop.set()
        worker.join(60)
        loop.run_until_complete(conn.close())
        loop.close()
    return result


if __name__ == "__main__":
    common.main(sys.modules[__name__])
