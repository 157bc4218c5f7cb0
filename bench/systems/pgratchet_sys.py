"""pgratchet: W1..W7, through the SQL contract and through the Python client.

The engine is this tree's plain script (extension/pgratchet.plain.sql, built by
scripts/build.sh), or BENCH_PGRATCHET_SQL (another plain script: a candidate change, or the
released extension/pgratchet.plain--0.1.0.sql that run.py uses for the `pgratchet010` column),
or with BENCH_PGRATCHET_EXTENSION=1 the installed extension (CREATE EXTENSION).

W1 enqueue: ratchet.start_many, 1,000 runs per call. W1 processing, mode "client" (the
headline): the Python client's own `app.worker()` with its default settings and a no-op body
(the worker commits each claim before the body runs, then records completions in batches).
Mode "sql": WORKERS threads, each with its own connection and a registered worker, loop on one
transaction per batch: claim(worker, BATCH) -> rows to Python -> (no-op handler) ->
complete_many(tasks) -> COMMIT.

W2 (mode "sql"): the same loop, but each claimed run executes its steps as
ratchet.checkpoint() calls in autocommit, one commit per step (the engine's durability
contract), and the batch ends with one complete_many. W2 (mode "client"): the Python client's
own worker with ctx.step(), concurrency CLIENT_CONCURRENCY.

W3 (mode "client"): an idle `app.worker()` (LISTEN/NOTIFY + polling), runs started with
app.start(). W4 (and `make soak`): the W1 worker (client or sql) in a child process, fed by
start_many. W6: pgbench, 16 clients each committing `SELECT ratchet.start(...)` one run per
transaction, into a queue with notify on and one with notify off. W7: claim latency of one
`claim(worker, 1)` + `complete_many` transaction, with a given backlog in front of it.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from multiprocessing.sharedctypes import Synchronized
from pathlib import Path
from typing import Any

import common
import psycopg
from psycopg.types.json import Jsonb

NAME = "pgratchet"
common.set_name(NAME)
WORKLOADS = ("w1", "w2", "w3", "w4", "w6", "w7")
ENQUEUE_BATCH = 1000
BATCH = int(os.environ.get("BENCH_PGRATCHET_BATCH", "500"))
WORKERS = int(os.environ.get("BENCH_PGRATCHET_WORKERS", "2"))
W2_WORKERS = int(os.environ.get("BENCH_PGRATCHET_W2_WORKERS", "16"))
W2_BATCH = int(os.environ.get("BENCH_PGRATCHET_W2_BATCH", "20"))
CLIENT_CONCURRENCY = int(os.environ.get("BENCH_PGRATCHET_CLIENT_CONCURRENCY", "16"))
# W4 keeps finished runs this long (tick() purges them after that).
W4_RETENTION = os.environ.get("BENCH_PGRATCHET_W4_RETENTION", "30 seconds")
TICK_REPEAT, TICK_FULL = 30, 1000


def install(dsn: str) -> None:
    """Apply a plain script (this tree's by default, so the bench measures the tree, never
    whatever version happens to be installed system-wide), or CREATE EXTENSION on request."""
    plain = os.environ.get("BENCH_PGRATCHET_SQL")
    with psycopg.connect(dsn, autocommit=True) as c:
        if os.environ.get("BENCH_PGRATCHET_EXTENSION") == "1" and not plain:
            c.execute("CREATE EXTENSION IF NOT EXISTS pgratchet")
        else:
            path = Path(plain or Path(__file__).parents[2] / "extension" / "pgratchet.plain.sql")
            c.execute(path.read_text())  # type: ignore[call-overload]
        c.execute("SELECT ratchet.register_workflow('noop')")
        c.execute("SELECT ratchet.register_workflow('steps')")


def _enqueue(conn: psycopg.Connection[Any], n: int, workflow: str = "noop") -> None:
    payload = Jsonb([{}] * n)
    conn.execute("SELECT count(*) FROM ratchet.start_many(%s, %s)", (workflow, payload))


def _register(conn: psycopg.Connection[Any], name: str) -> int:
    row = conn.execute("SELECT ratchet.register_worker(%s, ARRAY['default'])", (name,)).fetchone()
    assert row is not None
    return int(row[0])


class _Loop(threading.Thread):
    """One worker connection: claim a batch, run it, complete it, one transaction per batch."""

    def __init__(
        self, dsn: str, idx: int, batch: int, steps: int, counter: Any, stop: threading.Event
    ) -> None:
        super().__init__(daemon=True)
        self.dsn, self.idx, self.batch, self.steps = dsn, idx, batch, steps
        self.counter, self.stop_flag = counter, stop
        self.error: BaseException | None = None
        self.idle = False

    def run(self) -> None:
        try:
            self._run()
        except BaseException as e:
            self.error = e

    def _run(self) -> None:
        with psycopg.connect(self.dsn, autocommit=True) as conn:
            wid = _register(conn, f"bench-{os.getpid()}-{self.idx}")
            idle_sleep = 0.005
            while not self.stop_flag.is_set():
                if self.steps:
                    k = self._one_workflow_batch(conn, wid)
                else:
                    k = self._one_job_batch(conn, wid)
                self.idle = k == 0
                if k:
                    self.counter(k)
                    idle_sleep = 0.005
                else:  # back off while idle, as a real worker does: 5 ms doubling to 50 ms
                    time.sleep(idle_sleep)
                    idle_sleep = min(idle_sleep * 2, 0.05)
            conn.execute("SELECT ratchet.deregister_worker(%s)", (wid,))

    def _one_job_batch(self, conn: psycopg.Connection[Any], wid: int) -> int:
        with conn.transaction():
            rows = conn.execute(
                "SELECT task, run, workflow, input FROM ratchet.claim(%s, %s)", (wid, self.batch)
            ).fetchall()
            if not rows:
                return 0
            tasks = [r[0] for r in rows]  # the no-op handler would run here
            conn.execute("SELECT count(*) FROM ratchet.complete_many(%s)", (tasks,))
        return len(tasks)

    def _one_workflow_batch(self, conn: psycopg.Connection[Any], wid: int) -> int:
        rows = conn.execute(
            "SELECT task, checkpoints FROM ratchet.claim(%s, %s)", (wid, self.batch)
        ).fetchall()
        if not rows:
            return 0
        for task, checkpoints in rows:
            for i in range(self.steps):
                name = f"s{i}"
                if name not in checkpoints:
                    conn.execute("SELECT ratchet.checkpoint(%s, %s, %s)", (task, name, Jsonb(i)))
        conn.execute("SELECT count(*) FROM ratchet.complete_many(%s)", ([r[0] for r in rows],))
        return len(rows)


class _Pool:
    def __init__(self, dsn: str, workers: int, batch: int, steps: int = 0) -> None:
        self.done = common.Counter()
        self.stop = threading.Event()
        self.loops = [_Loop(dsn, i, batch, steps, self.done.add, self.stop) for i in range(workers)]

    def start(self) -> None:
        for t in self.loops:
            t.start()

    def wait(self, n: int, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while not self.done.wait_for(n, 0.5):
            for t in self.loops:
                if t.error is not None:
                    raise t.error
            if time.monotonic() > deadline:
                raise TimeoutError(f"processed {self.done.n} of {n}")

    def close(self) -> None:
        self.stop.set()
        for t in self.loops:
            t.join(30)


def _stats_run(dsn: str, n: int, steps: int, workers: int, batch: int) -> dict[str, Any]:
    install(dsn)
    workflow = "steps" if steps else "noop"
    s0 = common.db_stats(dsn)
    t0 = time.perf_counter()
    with psycopg.connect(dsn, autocommit=True) as c:
        for i in range(0, n, ENQUEUE_BATCH):
            _enqueue(c, min(ENQUEUE_BATCH, n - i), workflow)
    t_enq = time.perf_counter() - t0
    s1 = common.db_stats(dsn)
    common.progress(f"enqueued {n} in {t_enq:.2f}s; processing ({workers} x batch {batch})")
    pool = _Pool(dsn, workers, batch, steps)
    t0 = time.perf_counter()
    pool.start()
    try:
        pool.wait(n, 600)
        t_proc = time.perf_counter() - t0
    finally:
        pool.close()
    s2 = common.db_stats(dsn)
    common.progress(f"processed {n} ({steps} steps each) in {t_proc:.2f}s ({n / t_proc:.0f}/s)")
    return {
        "n": n,
        "enqueue_s": t_enq,
        "process_s": t_proc,
        "seconds": t_proc,
        "stats": {"enqueue": common.delta(s0, s1), "process": common.delta(s1, s2)},
        "settings": {"workers": workers, "batch": batch},
    }


def _app(dsn: str) -> Any:
    import pgratchet

    return pgratchet.App(dsn=dsn)


def _completed(dsn: str, n: int) -> None:
    """Wait until n runs are completed in the database (the bodies may be ahead of it)."""
    with psycopg.connect(dsn, autocommit=True) as c:
        while True:
            row = c.execute(
                "SELECT count(*) FROM ratchet.runs WHERE status = 'completed'"
            ).fetchone()
            if row is not None and row[0] >= n:
                return
            time.sleep(0.01)


def _w1_client(dsn: str, n: int) -> dict[str, Any]:
    """W1 through `app.worker()` with its defaults: what a user of the client gets."""
    install(dsn)
    app = _app(dsn)
    bodies = common.Counter()

    @app.workflow(name="noop")
    def noop(ctx: Any) -> None:
        bodies.add()

    app.register()
    s0 = common.db_stats(dsn)
    t0 = time.perf_counter()
    with psycopg.connect(dsn, autocommit=True) as c:
        for i in range(0, n, ENQUEUE_BATCH):
            _enqueue(c, min(ENQUEUE_BATCH, n - i))
    t_enq = time.perf_counter() - t0
    s1 = common.db_stats(dsn)
    worker = app.worker()
    common.progress(
        f"enqueued {n} in {t_enq:.2f}s; client worker, defaults "
        f"(concurrency {worker.concurrency}, prefetch {worker.prefetch})"
    )
    th = threading.Thread(target=worker.run, daemon=True)
    t0 = time.perf_counter()
    th.start()
    try:
        # Cheap in-process wait for the bodies, then the database has the last word.
        if not bodies.wait_for(n, 600):
            raise TimeoutError(f"ran {bodies.n} of {n} bodies")
        _completed(dsn, n)
        t_proc = time.perf_counter() - t0
    finally:
        worker.stop()
        th.join(30)
        app.close()
    s2 = common.db_stats(dsn)
    common.progress(f"client: processed {n} in {t_proc:.2f}s ({n / t_proc:.0f}/s)")
    return {
        "n": n,
        "enqueue_s": t_enq,
        "process_s": t_proc,
        "seconds": t_proc,
        "stats": {"enqueue": common.delta(s0, s1), "process": common.delta(s1, s2)},
        "settings": {
            "mode": "client",
            "concurrency": worker.concurrency,
            "prefetch": worker.prefetch,
        },
    }


def w1(dsn: str, n: int, mode: str = "sql") -> dict[str, Any]:
    if mode == "client":
        return _w1_client(dsn, n)
    return _stats_run(dsn, n, 0, WORKERS, BATCH)


def _w2_client(dsn: str, n: int, steps: int) -> dict[str, Any]:
    install(dsn)
    app = _app(dsn)

    def noop(i: int) -> int:
        return i

    @app.workflow(name="steps")
    def wf(ctx: Any) -> int:
        for i in range(steps):
            ctx.step(f"s{i}", noop, i)
        return steps

    s0 = common.db_stats(dsn)
    t0 = time.perf_counter()
    for i in range(0, n, ENQUEUE_BATCH):
        app.start_many("steps", [{}] * min(ENQUEUE_BATCH, n - i))
    t_enq = time.perf_counter() - t0
    s1 = common.db_stats(dsn)
    common.progress(
        f"enqueued {n} in {t_enq:.2f}s; client worker, concurrency {CLIENT_CONCURRENCY}"
    )
    worker = app.worker(concurrency=CLIENT_CONCURRENCY, poll_interval=0.05)
    th = threading.Thread(target=worker.run, daemon=True)
    t0 = time.perf_counter()
    th.start()
    _completed(dsn, n)
    t_proc = time.perf_counter() - t0
    worker.stop()
    th.join(30)
    app.close()
    s2 = common.db_stats(dsn)
    common.progress(f"client: {n} workflows in {t_proc:.2f}s ({n / t_proc:.0f}/s)")
    return {
        "n": n,
        "enqueue_s": t_enq,
        "process_s": t_proc,
        "seconds": t_proc,
        "stats": {"enqueue": common.delta(s0, s1), "process": common.delta(s1, s2)},
        "settings": {"mode": "client", "concurrency": CLIENT_CONCURRENCY},
    }


def w2(dsn: str, n: int, steps: int, mode: str = "sql") -> dict[str, Any]:
    if mode == "client":
        return _w2_client(dsn, n, steps)
    return _stats_run(dsn, n, steps, W2_WORKERS, W2_BATCH)


def _w3_sql(dsn: str, n: int, gap_ms: float) -> list[float]:
    """The engine alone: LISTEN ratchet_default, claim on each wake-up, complete_many."""
    started: dict[int, float] = {}
    stop = threading.Event()

    def worker() -> None:
        with psycopg.connect(dsn, autocommit=True) as conn:
            wid = _register(conn, "w3-sql")
            conn.execute("LISTEN ratchet_default")
            while not stop.is_set():
                rows = conn.execute(
                    "SELECT task, run FROM ratchet.claim(%s, 100)", (wid,)
                ).fetchall()
                now = time.perf_counter()
                for _, run in rows:
                    started[run] = now
                if rows:
                    conn.execute(
                        "SELECT count(*) FROM ratchet.complete_many(%s)", ([r[0] for r in rows],)
                    )
                    continue
                for _ in conn.notifies(timeout=0.5, stop_after=1):
                    pass
            conn.execute("SELECT ratchet.deregister_worker(%s)", (wid,))

    th = threading.Thread(target=worker, daemon=True)
    th.start()
    time.sleep(1.0)
    committed: dict[int, float] = {}
    with psycopg.connect(dsn, autocommit=True) as c:
        for _ in range(n):
            row = c.execute("SELECT ratchet.start('noop')").fetchone()
            committed[int(row[0])] = time.perf_counter()  # type: ignore[index]
            time.sleep(gap_ms / 1000)
    deadline = time.monotonic() + 10
    while len(started) < n and time.monotonic() < deadline:
        time.sleep(0.01)
    stop.set()
    th.join(5)
    return [(started[r] - committed[r]) * 1000 for r in committed if r in started]


def w3(dsn: str, n: int, gap_ms: float, mode: str = "client") -> dict[str, Any]:
    install(dsn)
    if mode == "sql":
        lat = _w3_sql(dsn, n, gap_ms)
        common.progress(f"W3 (sql) p99 {common.percentiles(lat).get('p99', float('nan')):.2f} ms")
        return {"latencies_ms": lat, "missing": n - len(lat)}
    app = _app(dsn)
    started: dict[int, float] = {}

    @app.workflow(name="noop")
    def noop(ctx: Any) -> None:
        started[ctx.run_id] = time.perf_counter()

    worker = app.worker(concurrency=4)
    th = threading.Thread(target=worker.run, daemon=True)
    th.start()
    time.sleep(1.5)  # let the worker go idle on LISTEN
    committed: dict[int, float] = {}
    for _ in range(n):
        h = app.start("noop", {})
        committed[h.id] = time.perf_counter()
        time.sleep(gap_ms / 1000)
    deadline = time.monotonic() + 10
    while len(started) < n and time.monotonic() < deadline:
        time.sleep(0.01)
    worker.stop()
    th.join(30)
    app.close()
    lat = [(started[r] - committed[r]) * 1000 for r in committed if r in started]
    common.progress(f"W3 p99 {common.percentiles(lat).get('p99', float('nan')):.2f} ms")
    return {"latencies_ms": lat, "missing": n - len(lat)}


def _w4_maintenance(dsn: str, stop: Any) -> None:
    """tick() every second, repeated while it purges full batches (it purges at most TICK_FULL
    runs per call), so retention keeps up with the stream."""
    with psycopg.connect(dsn, autocommit=True) as c:
        while not stop.wait(1.0):
            for _ in range(TICK_REPEAT):
                row = c.execute("SELECT (ratchet.tick() ->> 'purged')::int").fetchone()
                if row is None or (row[0] or 0) < TICK_FULL:
                    break


def _w4_worker(dsn: str, counter: Synchronized, stop: Any, mode: str) -> None:
    def add(k: int = 1) -> None:
        with counter.get_lock():
            counter.value += k

    if mode == "client":
        app = _app(dsn)

        @app.workflow(name="noop")
        def noop(ctx: Any) -> None:
            add()

        worker = app.worker()
        th = threading.Thread(target=worker.run, daemon=True)
        th.start()
        _w4_maintenance(dsn, stop)
        worker.stop()
        th.join(30)
        app.close()
        return
    loops = [_Loop(dsn, i, BATCH, 0, add, threading.Event()) for i in range(WORKERS)]
    for t in loops:
        t.start()
    _w4_maintenance(dsn, stop)
    for t in loops:
        t.stop_flag.set()
        t.join(30)


def w4(dsn: str, seconds: float, rate: float, hold: float, mode: str = "client") -> dict[str, Any]:
    install(dsn)
    with psycopg.connect(dsn, autocommit=True) as c:
        c.execute(
            "SELECT ratchet.create_queue('default', %s)", (Jsonb({"retention": W4_RETENTION}),)
        )
    ctx = mp.get_context("spawn")
    counter = ctx.Value("q", 0)
    stop = ctx.Event()
    worker = ctx.Process(target=_w4_worker, args=(dsn, counter, stop, mode))
    worker.start()
    try:
        with psycopg.connect(dsn, autocommit=True) as conn:
            result = common.Stream(
                dsn, seconds, rate, hold, lambda k: _enqueue(conn, k), lambda: counter.value
            ).run()
    finally:
        stop.set()
        worker.join(60)
    result["settings"] = {
        "mode": mode,
        "retention": W4_RETENTION,
        "tick": "every 1 s, repeated while purging",
    }
    return result


# ---------------------------------------------------------------------------------------------
# W6: producers committing single runs, notify on vs off


def _pgbench_tx(dsn: str, script: Path, clients: int, seconds: float) -> tuple[int, float]:
    p = subprocess.run(
        [
            f"{common.PG_BIN}/pgbench",
            "-n",
            "-f",
            str(script),
            "-c",
            str(clients),
            "-j",
            str(min(clients, 4)),
            "-T",
            str(max(1, round(seconds))),
            dsn,
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    tx = re.search(r"number of transactions actually processed: (\d+)", p.stdout)
    tps = re.search(r"tps = ([\d.]+) \(without initial connection time\)", p.stdout)
    assert tx is not None and tps is not None, p.stdout
    n = int(tx.group(1))
    return n, n / float(tps.group(1))


def w6(dsn: str, seconds: float, clients: int = 16) -> dict[str, Any]:
    """`clients` producers (pgbench, one connection each, autocommit) committing one
    `ratchet.start()` per transaction, `seconds` per variant, into queue w6_on (notify on) and
    w6_off (notify off). Order ABBA (off, on, on, off, half the time each), so the growth of
    the tables during the run weighs on both variants alike. One session LISTENs on w6_on's
    channel and drains it, as an idle worker would."""
    install(dsn)
    with psycopg.connect(dsn, autocommit=True) as c:
        for q, on in (("w6_on", True), ("w6_off", False)):
            c.execute("SELECT ratchet.create_queue(%s, %s)", (q, Jsonb({"notify": on})))
    stop = threading.Event()
    heard = common.Counter()

    def listen() -> None:
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute("LISTEN ratchet_w6_on")
            while not stop.is_set():
                for _ in conn.notifies(timeout=0.2):
                    heard.add()

    th = threading.Thread(target=listen, daemon=True)
    th.start()
    tmp = Path(tempfile.mkdtemp(prefix="w6-"))
    totals = {"w6_on": [0, 0.0], "w6_off": [0, 0.0]}
    try:
        for q in ("w6_off", "w6_on", "w6_on", "w6_off"):
            script = tmp / f"{q}.sql"
            script.write_text(f"SELECT ratchet.start('noop', '{{}}', '{{\"queue\": \"{q}\"}}');\n")
            tx, dur = _pgbench_tx(dsn, script, clients, seconds / 2)
            totals[q][0] += tx
            totals[q][1] += dur
            common.progress(f"W6 {q}: {tx / dur:,.0f} runs/s")
    finally:
        stop.set()
        th.join(5)
        shutil.rmtree(tmp, ignore_errors=True)
    on = totals["w6_on"][0] / totals["w6_on"][1]
    off = totals["w6_off"][0] / totals["w6_off"][1]
    common.progress(f"W6 notify on {on:,.0f}/s, off {off:,.0f}/s, on/off {on / off:.2f}")
    return {
        "clients": clients,
        "seconds": seconds,
        "on_per_s": on,
        "off_per_s": off,
        "notifications": heard.n,
    }


# ---------------------------------------------------------------------------------------------
# W7: claim latency with a backlog in front of the claimable runs


def _load(conn: psycopg.Connection[Any], workflow: str, n: int, options: dict[str, Any]) -> None:
    for i in range(0, n, ENQUEUE_BATCH):
        conn.execute(
            "SELECT count(*) FROM ratchet.start_many(%s, %s, %s)",
            (workflow, Jsonb([{}] * min(ENQUEUE_BATCH, n - i)), Jsonb(options)),
        )


def w7(dsn: str, case: str, claims: int, ready: int, backlog: int = 0) -> dict[str, Any]:
    """Claim latency, client side, of `claims` transactions of `claim(worker, 1)` +
    `complete_many`, with `ready` claimable runs kept topped up (untimed, every 100 claims) and,
    by case: "a" nothing else; "b" `backlog` more claimable runs (the queue is that deep);
    "c" `backlog` runs delayed by an hour at a better priority (-1) than the claimable ones (0);
    "d" a worker limited to workflow `target` behind `backlog` due runs of workflow `steps`."""
    install(dsn)
    target = "target" if case == "d" else "noop"
    with psycopg.connect(dsn, autocommit=True) as c:
        c.execute("SELECT ratchet.register_workflow('target')")
        t0 = time.perf_counter()
        if case == "b":
            _load(c, "noop", backlog, {})
        elif case == "c":
            _load(c, "noop", backlog, {"priority": -1, "delay": "1 hour"})
        elif case == "d":
            _load(c, "steps", backlog, {})
        _load(c, target, ready, {})
        t_load = time.perf_counter() - t0
        loaded = ready + (backlog if case in "bcd" else 0)
        common.progress(f"W7 {case}: loaded {loaded:,} runs in {t_load:.1f}s")
        c.execute("ANALYZE")
        workflows = [target] if case == "d" else None
        row = c.execute(
            "SELECT ratchet.register_worker('w7', ARRAY['default'], %s)", (workflows,)
        ).fetchone()
        assert row is not None
        wid = int(row[0])
        claim_ms: list[float] = []
        tx_ms: list[float] = []
        warmup = 20
        for i in range(claims + warmup):
            if i and i % 100 == 0:
                _load(c, target, 100, {})
            t0 = time.perf_counter()
            with c.transaction():
                rows = c.execute("SELECT * FROM ratchet.claim(%s, 1)", (wid,)).fetchall()
                t1 = time.perf_counter()
                c.execute("SELECT count(*) FROM ratchet.complete_many(%s)", ([r[0] for r in rows],))
            t2 = time.perf_counter()
            if len(rows) != 1:
                raise RuntimeError(f"W7 {case}: claim {i} returned {len(rows)} tasks")
            if i >= warmup:
                claim_ms.append((t1 - t0) * 1000)
                tx_ms.append((t2 - t0) * 1000)
    pc = common.percentiles(claim_ms)
    common.progress(f"W7 {case}: claim p50 {pc['p50']:.2f} ms, p99 {pc['p99']:.2f} ms")
    return {
        "case": case,
        "ready": ready,
        "backlog": backlog,
        "load_s": t_load,
        "claim_ms": pc,
        "tx_ms": common.percentiles(tx_ms),
    }


if __name__ == "__main__":
    common.main(sys.modules[__name__])
