"""The workflows the tests run, in worker subprocesses and in-process workers alike.

Worker subprocesses load this module with ``python -m pgratchet worker tests.workflows:app``
and find the database in ``$PGRATCHET_DSN``. The test process never uses ``app`` directly:
its fixtures copy these workflows into an ``App`` bound to the test's own database.

Bodies write what they do to ``public.test_effects`` through their own autocommit
connection, so the tests can compare side effects with the engine's checkpoints.
"""

from __future__ import annotations

import os
import random
import threading
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg

import pgratchet

app = pgratchet.App()

_local = threading.local()


def _side_conn(dsn: str) -> psycopg.Connection[Any]:
    conns: dict[str, psycopg.Connection[Any]] = _local.__dict__.setdefault("conns", {})
    conn = conns.get(dsn)
    if conn is None or conn.closed or conn.broken:
        conn = psycopg.connect(dsn, autocommit=True, connect_timeout=5)
        conns[dsn] = conn
    return conn


def side_sql(ctx: pgratchet.Context, sql: str, params: Any = (), retry_for: float = 60.0) -> Any:
    """Run one statement on the body's side connection; survive a Postgres restart."""
    deadline = time.monotonic() + retry_for
    while True:
        try:
            row = _side_conn(ctx.app.dsn).execute(sql, params).fetchone()
            return row[0] if row else None
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def record(
    ctx: pgratchet.Context,
    step: str,
    token: str | None = None,
    *,
    at: datetime | None = None,
    ended: bool = False,
) -> datetime:
    """Append a side effect (run, step, attempt, pid, token, server time) and return its time."""
    return side_sql(
        ctx,
        "insert into public.test_effects (run, step, attempt, pid, token, at, ended_at)"
        " values (%s, %s, %s, %s, %s, coalesce(%s, clock_timestamp()),"
        " case when %s then clock_timestamp() end) returning at",
        (ctx.run_id, step, ctx.attempt, os.getpid(), token, at, ended),
    )


def record_step(ctx: pgratchet.Context, step: str) -> dict:
    """A step body that only records its side effect."""
    return {"at": record(ctx, step).isoformat()}


def executions(ctx: pgratchet.Context, step: str = "body") -> int:
    return side_sql(
        ctx,
        "select count(*) from public.test_effects where run = %s and step = %s",
        (ctx.run_id, step),
    )


# --- issue 2: claiming, leases, retries, wake-ups ---------------------------------------
@app.workflow(queue="bulk")
def bulk_noop(ctx: pgratchet.Context, n: int) -> dict:
    record(ctx, "body")
    return {"n": n}


@app.workflow(queue="limited")
def limited_span(ctx: pgratchet.Context, secs: float = 0.1) -> dict:
    started = side_sql(ctx, "select clock_timestamp()")
    time.sleep(secs)
    record(ctx, "body", at=started, ended=True)
    return {}


@app.workflow(queue="slow")
def slow(ctx: pgratchet.Context, secs: float, only_first: bool = False) -> dict:
    record(ctx, "body")
    if not only_first or executions(ctx) == 1:
        time.sleep(secs)
    return {"slept": secs}


@app.workflow(queue="flaky")
def always_fails(ctx: pgratchet.Context) -> dict:
    record(ctx, "body")
    raise RuntimeError(f"boom on attempt {ctx.attempt}")


@app.workflow(queue="wake")
def ping(ctx: pgratchet.Context) -> dict:
    record(ctx, "body")
    return {"pong": True}


# --- issue 3: steps, crashes, timers, events, children ----------------------------------
def _effect_step(ctx: pgratchet.Context, name: str, pause: float) -> dict:
    record(ctx, name)
    time.sleep(pause * random.uniform(0.5, 1.5))
    return {"step": name, "attempt": ctx.attempt}


@app.workflow(queue="crashy")
def five_steps(ctx: pgratchet.Context, pause: float = 0.02) -> dict:
    for i in range(1, 6):
        ctx.step(f"s{i}", _effect_step, ctx, f"s{i}", pause)
    return {"steps": 5}


def _pause(pause: float) -> dict:
    time.sleep(pause * random.uniform(0.5, 1.5))
    return {"paused": pause}


def _insert_row(conn: psycopg.Connection[Any], ctx: pgratchet.Context, pause: float) -> dict:
    record(ctx, "insert_row")  # outside the transaction: counts the attempts
    run = ctx.run_id
    conn.execute("insert into public.test_tx_rows (run, pid) values (%s, %s)", (run, os.getpid()))
    time.sleep(pause)  # a SIGKILL here must roll the insert back with the checkpoint
    return {"inserted": run}


@app.workflow(queue="crashy_tx")
def tx_steps(ctx: pgratchet.Context, pause: float = 0.02) -> dict:
    ctx.step("before", _pause, pause)
    row = ctx.transaction("insert_row", _insert_row, ctx, pause)
    ctx.step("after", _pause, pause)
    return row


@app.workflow(queue="timers")
def nap(ctx: pgratchet.Context, days: int = 3) -> dict:
    ctx.sleep("nap", timedelta(days=days))
    ctx.step("after_nap", record_step, ctx, "after_nap")
    return {"slept_days": days}


@app.workflow(queue="events")
def await_once(ctx: pgratchet.Context) -> dict:
    ctx.step("prepare", lambda: {"ready": True})
    payload = ctx.await_event("approval", "approved")
    return {"payload": payload}


@app.workflow(queue="events")
def await_twice(ctx: pgratchet.Context) -> dict:
    first = ctx.await_event("first", "n")
    second = ctx.await_event("second", "n")
    return {"got": [first, second]}


@app.workflow(queue="events")
def await_with_timeout(ctx: pgratchet.Context, secs: float = 1.0) -> dict:
    try:
        payload = ctx.await_event("approval", "approved", timeout=secs)
    except pgratchet.EventTimeout:
        return {"timed_out": True}
    return {"payload": payload}


def _square(i: int, pause: float) -> int:
    time.sleep(pause)
    return i * i


@app.workflow(queue="fan")
def fan_child(ctx: pgratchet.Context, i: int, pause: float = 0.2) -> dict:
    return {"i": i, "square": ctx.step("square", _square, i, pause)}


@app.workflow(queue="fan")
def fan_parent(ctx: pgratchet.Context, n: int = 50, pause: float = 0.2) -> dict:
    results = ctx.gather("kids", "fan_child", [{"i": i, "pause": pause} for i in range(n)])
    ctx.step("after", record_step, ctx, "after")
    return {"results": results}


@app.workflow(queue="fan")
def waiting_child(ctx: pgratchet.Context, i: int) -> dict:
    ctx.await_event("never", "never")
    return {"i": i}


@app.workflow(queue="fan")
def waiting_parent(ctx: pgratchet.Context, n: int = 5) -> dict:
    kids = [ctx.start_child(f"kid{i}", "waiting_child", {"i": i}) for i in range(n)]
    ctx.await_runs("kids", kids)
    return {"unreachable": True}


def _token_step(ctx: pgratchet.Context, name: str, pause: float) -> str:
    token = uuid.uuid4().hex
    record(ctx, name, token)
    time.sleep(pause * random.uniform(0.5, 1.5))
    return token


@app.workflow(queue="durable")
def acked_steps(ctx: pgratchet.Context, pause: float = 0.05) -> dict:
    """Each step returns a fresh random token; the worker notes every token the engine
    acknowledged in a file, outside the database ($PGRATCHET_TEST_ACK_DIR)."""
    ack_dir = Path(os.environ["PGRATCHET_TEST_ACK_DIR"])
    for i in range(1, 6):
        name = f"s{i}"
        token = ctx.step(name, _token_step, ctx, name, pause)
        with (ack_dir / f"{os.getpid()}.acks").open("a") as fh:
            fh.write(f"{ctx.run_id} {name} {token} {time.time():.6f}\n")
    return {"ok": True}


@app.workflow(queue="overhead")
def many_steps(ctx: pgratchet.Context, n: int = 200) -> dict:
    started = time.perf_counter()
    for i in range(n):
        ctx.step(f"s{i}", int, i)
    return {"n": n, "secs": time.perf_counter() - started}


def _fails_first_time(ctx: pgratchet.Context, name: str) -> dict:
    record(ctx, name)
    if executions(ctx, name) == 1:
        raise RuntimeError(f"step {name} fails the first time")
    return {"step": name}


@app.workflow(queue="steps")
def flaky_steps(ctx: pgratchet.Context) -> dict:
    """Steps a and b each fail once: two failures, but of different steps."""
    ctx.step("a", _fails_first_time, ctx, "a")
    ctx.step("b", _fails_first_time, ctx, "b")
    return {"attempt": ctx.attempt}


def _always_raise(ctx: pgratchet.Context, name: str) -> dict:
    record(ctx, name)
    raise RuntimeError(f"step {name} always fails")


@app.workflow(queue="steps")
def step_with_own_limit(ctx: pgratchet.Context, limit: int = 2) -> dict:
    ctx.step("doomed", _always_raise, ctx, "doomed", max_attempts=limit)
    return {}


@app.workflow(queue="steps")
def gives_up(ctx: pgratchet.Context) -> dict:
    record(ctx, "body")
    raise pgratchet.PermanentError("no point retrying")


@app.workflow(queue="timers")
async def async_pipeline(ctx: pgratchet.AsyncContext, x: int) -> dict:
    """An async body: steps, a durable sleep and an event, awaited."""
    doubled = await ctx.step("double", _double_async, x)
    await ctx.sleep("pause", 0.2)
    extra = await ctx.await_event("extra", "extra")
    record(ctx.sync, "after_event")
    key = ctx.idempotency_key("charge")
    return {"doubled": doubled, "extra": extra, "key": key}


async def _double_async(x: int) -> int:
    return 2 * x


@app.workflow(queue="doomed")
def kills_its_worker(ctx: pgratchet.Context) -> dict:
    record(ctx, "body")
    os.kill(os.getpid(), 9)  # SIGKILL: the worker dies with the run in hand, every time
    return {}


@app.workflow(queue="fan")
def picky_child(ctx: pgratchet.Context, i: int) -> dict:
    if i == 1:
        raise pgratchet.PermanentError("child 1 refuses")
    return {"i": i}


@app.workflow(queue="fan")
def collect_statuses(ctx: pgratchet.Context, n: int = 3) -> dict:
    kids = [ctx.start_child(f"kid{i}", "picky_child", {"i": i}) for i in range(n)]
    results = ctx.await_runs("kids", kids)
    return {
        "runs": [r["run"] for r in results],
        "statuses": [r["status"] for r in results],
        "outputs": [r["output"] for r in results],
    }


@app.workflow(queue="fan")
def gather_picky(ctx: pgratchet.Context, n: int = 3) -> dict:
    return {"results": ctx.gather("kids", "picky_child", [{"i": i} for i in range(n)])}
