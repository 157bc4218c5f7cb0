"""Helpers shared by the pytest suite: waiting, worker processes, history checks."""

from __future__ import annotations

import contextlib
import os
import random
import signal
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import psycopg
from psycopg.conninfo import conninfo_to_dict, make_conninfo
from psycopg.rows import dict_row

import pgratchet

REPO = Path(__file__).resolve().parent.parent

# Side tables the test workflows write to, outside the engine's schema. A body writes them
# in its own autocommit connection, so a row is there even if the worker dies a moment later.
SIDE_TABLES_SQL = """
CREATE TABLE public.test_effects (
    id bigserial PRIMARY KEY,
    run bigint NOT NULL,
    step text NOT NULL,
    attempt integer,
    pid integer NOT NULL,
    token text,
    at timestamptz NOT NULL DEFAULT clock_timestamp(),
    ended_at timestamptz
);
CREATE INDEX ON public.test_effects (run, step);
CREATE TABLE public.test_tx_rows (
    id bigserial PRIMARY KEY,
    run bigint NOT NULL,
    pid integer NOT NULL,
    at timestamptz NOT NULL DEFAULT clock_timestamp()
);
"""

# The history kinds that end a task (the run is no longer held after them).
TASK_ENDS = frozenset(
    {
        "completed",
        "failed",
        "retrying",
        "lease_expired",
        "handed_back",
        "sleeping",
        "waiting",
        "cancelled",
    }
)


def with_options(dsn: str, **settings: object) -> str:
    """``dsn`` with ``-c name=value`` server settings added to its ``options``."""
    params = conninfo_to_dict(dsn)
    extra = " ".join(f"-c {k.replace('__', '.')}={v}" for k, v in settings.items())
    options = f"{params.get('options', '')} {extra}".strip()
    return make_conninfo(dsn, options=options)


def fake_clock_dsn(dsn: str, at: datetime) -> str:
    """A DSN whose sessions see ``ratchet.now()`` = ``at`` (the engine's fake clock)."""
    # Spaces would split the options string: ISO form with a 'T' has none.
    return with_options(dsn, ratchet__fake_now=at.isoformat())


def wait_for(
    predicate: Callable[[], Any], timeout: float, what: str, interval: float = 0.05
) -> Any:
    """Poll ``predicate`` until it returns something truthy; fail the test after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


def query(dsn_or_conn: str | psycopg.Connection[Any], sql: str, params: Any = ()) -> list[dict]:
    """Rows of one statement as dicts (a short-lived connection when given a DSN)."""
    if isinstance(dsn_or_conn, str):
        with psycopg.connect(dsn_or_conn, autocommit=True) as conn:
            return query(conn, sql, params)
    with dsn_or_conn.cursor(row_factory=dict_row) as cur:
        cur.execute(sql, params)
        return cur.fetchall() if cur.description is not None else []


def scalar(dsn_or_conn: str | psycopg.Connection[Any], sql: str, params: Any = ()) -> Any:
    rows = query(dsn_or_conn, sql, params)
    return next(iter(rows[0].values())) if rows else None


def count_runs_by_status(dsn: str, ids: list[int] | None = None) -> dict[str, int]:
    rows = query(
        dsn,
        "select status, count(*) as n from ratchet.runs"
        " where %(ids)s::bigint[] is null or id = any(%(ids)s) group by status",
        {"ids": ids},
    )
    return {r["status"]: r["n"] for r in rows}


def all_finished(dsn: str, ids: list[int]) -> bool:
    counts = count_runs_by_status(dsn, ids)
    return sum(counts.get(s, 0) for s in ("completed", "failed", "cancelled")) == len(ids)


def assert_invariants(dsn_or_conn: str | psycopg.Connection[Any]) -> None:
    """Fail with every violation ``ratchet.check_invariants()`` reports.

    Called after every test that used a database: a transition that leaves a task, a
    claim row or a wait behind breaks no assertion of the test that ran it, only runs
    that nobody claims again much later.
    """
    rows = query(
        dsn_or_conn,
        "select invariant, run, detail from ratchet.check_invariants()"
        " order by invariant, run nulls first",
    )
    if rows:
        listed = "\n".join(
            f"  {r['invariant']}: run {r['run'] if r['run'] is not None else '-'}: {r['detail']}"
            for r in rows[:50]
        )
        more = f"\n  ... and {len(rows) - 50} more" if len(rows) > 50 else ""
        raise AssertionError(
            f"ratchet.check_invariants() found {len(rows)} violation(s):\n{listed}{more}"
        )


def check_no_overlapping_holds(dsn: str, run_ids: list[int] | None = None) -> dict[str, int]:
    """Walk each run's history in order and prove no run was held by two tasks at once.

    A ``claimed`` entry may only follow an entry that ended the previous task (completed,
    retrying, lease_expired, handed_back, ...), never another ``claimed``; the new claim is
    not earlier than the end of the previous one; an entry naming a task names the one held.
    Returns counts for the caller to print.
    """
    rows = query(
        dsn,
        "select run_id, id, at, kind, detail from ratchet.history"
        " where %(ids)s::bigint[] is null or run_id = any(%(ids)s) order by run_id, id",
        {"ids": run_ids},
    )
    problems: list[str] = []
    claims = 0
    tasks: set[int] = set()
    current_run = None
    held: int | None = None
    ended_at: datetime | None = None
    for row in rows:
        if row["run_id"] != current_run:
            current_run, held, ended_at = row["run_id"], None, None
        kind, detail = row["kind"], row["detail"] or {}
        task = detail.get("task") if isinstance(detail, dict) else None
        if kind == "claimed":
            claims += 1
            if held is not None:
                problems.append(f"run {current_run}: task {task} claimed while {held} held")
            if task in tasks:
                problems.append(f"run {current_run}: task id {task} handed out twice")
            if ended_at is not None and row["at"] < ended_at:
                problems.append(f"run {current_run}: claim at {row['at']} before end {ended_at}")
            tasks.add(task)
            held = task
        elif kind in TASK_ENDS:
            if task is not None and held is not None and task != held:
                problems.append(f"run {current_run}: {kind} names task {task}, held {held}")
            if held is not None:
                ended_at = row["at"]
            held = None
    assert not problems, "overlapping holds:\n" + "\n".join(problems[:20])
    return {"claims": claims, "tasks": len(tasks)}


def max_overlap(spans: list[tuple[datetime, datetime]]) -> int:
    """The largest number of intervals open at one instant (touching ends do not overlap)."""
    points: list[tuple[datetime, int]] = []
    for start, end in spans:
        points.append((start, 1))
        points.append((end, -1))
    points.sort(key=lambda p: (p[0], p[1]))  # an end sorts before a start at the same time
    best = cur = 0
    for _, delta in points:
        cur += delta
        best = max(best, cur)
    return best


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    return statistics.quantiles(ordered, n=100, method="inclusive")[int(q) - 1]


# --- worker processes ---------------------------------------------------------------------
class WorkerProcesses:
    """Worker subprocesses (``python -m pgratchet worker tests.workflows:app``) for one test.

    Each writes its log to its own file; the fixture kills whatever is left at teardown and
    prints the tail of each log, which pytest shows for a failing test.
    """

    def __init__(self, dsn: str, log_dir: Path) -> None:
        self.dsn = dsn
        self.log_dir = log_dir
        self.procs: list[subprocess.Popen[bytes]] = []
        self._logs: dict[int, Path] = {}
        self._lock = threading.Lock()

    def start(
        self,
        *,
        concurrency: int = 4,
        queues: list[str] | None = None,
        poll_interval: float = 0.5,
        shutdown_grace: float = 30.0,
        env: dict[str, str] | None = None,
        verbose: bool = False,
    ) -> subprocess.Popen[bytes]:
        argv = [
            sys.executable,
            "-m",
            "pgratchet",
            *(["-v"] if verbose else []),
            "worker",
            "tests.workflows:app",
            "--concurrency",
            str(concurrency),
            "--poll-interval",
            str(poll_interval),
            "--shutdown-grace",
            str(shutdown_grace),
        ]
        if queues:
            argv += ["--queues", ",".join(queues)]
        full_env = {**os.environ, "PGRATCHET_DSN": self.dsn, **(env or {})}
        full_env.pop("DATABASE_URL", None)
        with self._lock:
            log_path = self.log_dir / f"worker-{len(self._logs) + 1}.log"
            with log_path.open("wb") as log:
                proc = subprocess.Popen(
                    argv,
                    cwd=REPO,
                    env=full_env,
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
            self.procs.append(proc)
            self._logs[proc.pid] = log_path
        return proc

    def alive(self) -> list[subprocess.Popen[bytes]]:
        with self._lock:
            return [p for p in self.procs if p.poll() is None]

    def kill(self, proc: subprocess.Popen[bytes], sig: int = signal.SIGKILL) -> None:
        with contextlib.suppress(ProcessLookupError):
            proc.send_signal(sig)
        if sig == signal.SIGKILL:
            proc.wait(timeout=10)

    def log_of(self, proc: subprocess.Popen[bytes]) -> str:
        return self._logs[proc.pid].read_text(errors="replace")

    def stop_all(self) -> None:
        for proc in self.alive():
            self.kill(proc, signal.SIGKILL)

    def report(self, lines: int = 15) -> None:
        for pid, path in self._logs.items():
            if not path.exists():
                continue
            tail = path.read_text(errors="replace").splitlines()[-lines:]
            print(f"--- worker {pid} log tail ({path}) ---")
            print("\n".join(tail))


class Killer:
    """SIGKILLs a random live worker every ``interval`` (+-40 %) and starts a replacement."""

    def __init__(
        self, workers: WorkerProcesses, interval: float = 0.5, **start_options: Any
    ) -> None:
        self.workers = workers
        self.interval = interval
        self.start_options = start_options
        self.kills = 0
        self.kill_times: list[float] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="killer", daemon=True)
        self.error: BaseException | None = None

    def __enter__(self) -> Killer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=30)

    def _loop(self) -> None:
        try:
            while not self._stop.wait(self.interval * random.uniform(0.6, 1.4)):
                alive = self.workers.alive()
                if not alive:
                    continue
                victim = random.choice(alive)
                self.workers.kill(victim, signal.SIGKILL)
                self.kills += 1
                self.kill_times.append(time.time())
                self.workers.start(**self.start_options)
        except BaseException as exc:  # surfaced by the test
            self.error = exc


# --- in-process workers -----------------------------------------------------------------
@contextlib.contextmanager
def worker_thread(app: pgratchet.App, **options: Any) -> Iterator[pgratchet.Worker]:
    """A worker running in a thread of the test process until the block ends."""
    options.setdefault("poll_interval", 0.2)
    options.setdefault("tick_interval", 0.5)
    options.setdefault("handle_signals", False)
    worker = app.worker(**options)
    errors: list[BaseException] = []

    def target() -> None:
        try:
            worker.run()
        except BaseException as exc:
            errors.append(exc)

    thread = threading.Thread(target=target, name="test-worker", daemon=True)
    thread.start()
    wait_for(lambda: worker.worker_id is not None or errors, 30, "the worker to register")
    try:
        yield worker
    finally:
        worker.stop()
        thread.join(timeout=30)
        assert not thread.is_alive(), "the in-process worker did not stop"
    if errors:
        raise errors[0]


def run_worker_until_idle(app: pgratchet.App, idle: float = 0.5, **options: Any) -> Any:
    """Run a worker in this thread until it has had nothing to do for ``idle`` seconds."""
    options.setdefault("poll_interval", 0.1)
    options.setdefault("handle_signals", False)
    worker = app.worker(**options)
    worker.run(stop_when_idle=idle)
    return worker
