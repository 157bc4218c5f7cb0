"""Worker: claims tasks, runs workflow bodies, reports the outcome.

Threads of one worker process:

* the main loop (``run``): claims up to the free slots, hands tasks to the executors,
  calls ``ratchet.tick()`` every few seconds, and sleeps with backoff when idle;
* ``concurrency`` executor threads, each with its own event loop for ``async`` bodies;
* a heartbeat thread extending the leases of held tasks every lease/3;
* a listener on a dedicated connection, ``LISTEN ratchet_<queue>``, that wakes the main
  loop early. NOTIFY is only a hint: polling alone is correct, just slower. The engine
  sends at most one per queue per coalescing window (its payload: the window in ms), so
  after draining the work a notification announced, the loop claims once more when the
  window has passed, for the runs that became ready inside it without a notification.

Every database call survives a Postgres restart: the pool replaces broken connections and
the loops retry with backoff. A body's own engine calls are idempotent and retried too.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import queue as queue_mod
import random
import signal
import socket
import threading
import time
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from types import FrameType
from typing import TYPE_CHECKING, Any

import psycopg

from . import queries
from .context import CALL_RETRY_SECONDS, AsyncContext, ClaimedTask, Context, Suspend
from .database import backoff_delays, json_text, jsonb, jsonb_text
from .errors import (
    InvalidArgument,
    RatchetError,
    RunCancelled,
    RunFailed,
    TaskNotHeld,
    UnknownWorker,
    UnknownWorkflow,
    is_transient,
)

if TYPE_CHECKING:
    from .app import App

log = logging.getLogger("pgratchet.worker")

DEFAULT_LEASE = 30.0
MAX_TRACEBACK_CHARS = 16_000


# Automatic prefetch (``prefetch=None``): claim ahead only as many tasks as the threads will
# start within PREFETCH_HORIZON at the recent body duration, at most PREFETCH_MAX. Short
# bodies get big claim batches; bodies of a second or more get none, so a prefetched task
# never waits long for a thread while another worker could have run it.
PREFETCH_HORIZON = 0.1
PREFETCH_MAX = 256
# Weight of the newest body in the moving average of body durations.
DURATION_WEIGHT = 0.05


@dataclass
class _InFlight:
    claimed: ClaimedTask
    lease_seconds: float
    started: float = field(default_factory=time.monotonic)
    #: The body has finished; its output waits in the completer for its commit.
    completing: bool = False


@dataclass
class WorkerStats:
    claimed: int = 0
    completed: int = 0
    failed: int = 0
    suspended: int = 0
    abandoned: int = 0


class _Completion:
    """One finished body whose output waits to be recorded."""

    __slots__ = ("claimed", "ctx", "error", "held", "output", "seconds", "task")

    def __init__(self, claimed: ClaimedTask, ctx: Context, output: str, seconds: float) -> None:
        self.claimed = claimed
        self.ctx = ctx
        self.task = claimed.task
        self.output = output  # JSON text, checked by the executor
        self.seconds = seconds
        self.held = False
        self.error: BaseException | None = None


class _Completer:
    """Records completions in batches (``ratchet.complete_many``, one statement and one
    commit for all bodies that finished while the previous batch was being written). No
    added latency: a lone completion is sent at once. The executor threads do not wait for
    it: each hands its output over and takes the next task; ``resolved`` is called for
    every completion once its commit (or its error) is known."""

    def __init__(
        self, app: App, closing: threading.Event, resolved: Callable[[_Completion], None]
    ) -> None:
        self.app = app
        self.closing = closing
        self.resolved = resolved
        self.pending: queue_mod.Queue[_Completion] = queue_mod.Queue()

    def submit(self, item: _Completion) -> None:
        self.pending.put(item)

    def loop(self) -> None:
        while True:
            try:
                first = self.pending.get(timeout=0.2)
            except queue_mod.Empty:
                if self.closing.is_set():
                    return
                continue
            batch = [first]
            while len(batch) < 500:
                try:
                    batch.append(self.pending.get_nowait())
                except queue_mod.Empty:
                    break
            self._write(batch)
            for c in batch:
                try:
                    self.resolved(c)
                except Exception:
                    log.exception("unexpected error after recording task %s", c.task)

    def _write(self, batch: list[_Completion]) -> None:
        if len(batch) > 1:
            outputs = jsonb_text("[" + ",".join(c.output for c in batch) + "]")
            try:
                done = self.app.db.execute(
                    queries.COMPLETE_MANY,
                    ([c.task for c in batch], outputs),
                    retry_for=CALL_RETRY_SECONDS,
                )
            except (psycopg.Error, RatchetError):
                pass  # e.g. one output too large: record them one by one to find it
            else:
                held = {row[0] for row in done}
                for c in batch:
                    c.held = c.task in held
                return
        for c in batch:
            try:
                self.app.db.execute(
                    queries.COMPLETE, (c.task, jsonb_text(c.output)), retry_for=CALL_RETRY_SECONDS
                )
                c.held = True
            except (psycopg.Error, RatchetError) as exc:
                c.error = exc


class Worker:
    """Runs the bodies of an :class:`App`'s workflows. Create it with ``app.worker()``.

    ``poll_interval`` is the longest pause between claims when idle (backoff starts at
    50 ms). ``shutdown_grace`` is how long a graceful stop waits for in-flight bodies
    before handing their tasks back. ``prefetch`` claims up to that many tasks beyond
    ``concurrency`` ahead of time, so claims come in bigger batches (throughput for short
    bodies); a prefetched task holds its lease while it waits for a thread. The default,
    ``None``, adapts it to the bodies: as many as the threads start within 0.1 s at the
    recent body duration (at most 256), so none once bodies take about a second or more.
    """

    def __init__(
        self,
        app: App,
        queues: Iterable[str] | None = None,
        concurrency: int = 8,
        name: str | None = None,
        poll_interval: float = 1.0,
        *,
        tick_interval: float = 5.0,
        shutdown_grace: float = 30.0,
        listen: bool = True,
        handle_signals: bool = True,
        prefetch: int | None = None,
    ) -> None:
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        if prefetch is not None and prefetch < 0:
            raise ValueError("prefetch must be at least 0 (or None: adapt to the bodies)")
        self.app = app
        self._queues = list(queues) if queues is not None else None
        self.concurrency = concurrency
        self.name = name or f"{socket.gethostname()}-{os.getpid()}"
        self.poll_interval = poll_interval
        self.tick_interval = tick_interval
        self.shutdown_grace = shutdown_grace
        self.listen = listen
        self.handle_signals = handle_signals
        self.prefetch = prefetch
        self.worker_id: int | None = None
        self.stats = WorkerStats()

        self._stop = threading.Event()  # stop claiming
        self._hard_stop = threading.Event()  # stop waiting for in-flight bodies
        self._closing = threading.Event()  # stop heartbeats and listener
        self._wake = threading.Event()
        self._notified = threading.Event()  # the listener got a NOTIFY since the last claim
        # When the last NOTIFY arrived (monotonic) and the coalescing window it announced (s).
        self._last_note: tuple[float, float] = (float("-inf"), 0.0)
        self._lock = threading.Lock()
        # Held tasks: prefetched, running, or finished and waiting for their completion.
        self._inflight: dict[int, _InFlight] = {}
        self._completing = 0  # how many of them wait for their completion
        self._body_seconds: float | None = None  # moving average of body durations
        self._work: queue_mod.Queue[ClaimedTask | None] = queue_mod.Queue()
        self._threads: list[threading.Thread] = []
        self._local = threading.local()
        self._completer = _Completer(app, self._closing, self._resolved)

    # --- public -------------------------------------------------------------------------
    @property
    def queues(self) -> list[str]:
        if self._queues is not None:
            return self._queues
        return sorted({wf.queue for wf in self.app.workflows.values()}) or ["default"]

    def stop(self) -> None:
        """Ask the worker to stop (graceful). Safe from any thread or a signal handler."""
        self._stop.set()
        self._wake.set()

    def run(self, stop_when_idle: float | None = None) -> None:
        """Claim and run tasks until ``stop()``, SIGTERM/SIGINT, or (with ``stop_when_idle``)
        that many seconds with nothing in flight and nothing to claim."""
        self._stop.clear()
        self._hard_stop.clear()
        self._closing.clear()
        self._work = queue_mod.Queue()  # a fresh queue: no stop markers from an earlier run
        self.app.db.ensure_capacity(self.concurrency + 3)
        self._retrying("register workflows", self.app.register)
        self._register()
        previous = self._install_signal_handlers()
        try:
            self._start_threads()
            self._loop(stop_when_idle)
        finally:
            self._shutdown()
            self._restore_signal_handlers(previous)

    # --- main loop ----------------------------------------------------------------------
    def _loop(self, stop_when_idle: float | None) -> None:
        delays = backoff_delays(0.05, self.poll_interval, jitter=0.2)
        last_tick = 0.0
        idle_since: float | None = None
        eager = True  # claim for any free slot (first pass, poll, notification)
        while not self._stop.is_set():
            now = time.monotonic()
            if now - last_tick >= self.tick_interval:
                self._tick()
                last_tick = now
            self._wake.clear()
            free = self._claim_size(eager=eager)
            eager = False
            claimed: list[ClaimedTask] = []
            if free > 0:
                try:
                    claimed = self._claim(free)
                except UnknownWorker:
                    log.warning("worker %s was deregistered; registering again", self.worker_id)
                    self._register()
                    continue
                except (psycopg.Error, RatchetError) as exc:
                    if not is_transient(exc):
                        log.exception("claim failed")
                    else:
                        log.warning("claim failed: %s", _first_line(exc))
                    self._stop.wait(next(delays) + 0.5)
                    continue
            if claimed:
                idle_since = None
                delays = backoff_delays(0.05, self.poll_interval, jitter=0.2)
                for task in claimed:
                    self._dispatch(task)
                if len(claimed) == free:
                    continue  # maybe more where these came from
            short_claim = free > 0
            if self._inflight_count():
                idle_since = None
            elif idle_since is None:
                idle_since = now
            pause = next(delays)
            if short_claim:
                pause = min(pause, self._trailing_claim_pause())
            if stop_when_idle is not None and idle_since is not None:
                left = stop_when_idle - (time.monotonic() - idle_since)
                if left <= 0:
                    log.info("idle for %.1fs; stopping", stop_when_idle)
                    break
                pause = min(pause, left)
            if not self._wake.wait(pause):
                eager = True  # a poll
            else:
                eager = self._notified.is_set()
                delays = backoff_delays(0.05, self.poll_interval, jitter=0.2)
                if short_claim and not self._notified.is_set():
                    # Woken by a freed thread after a claim that found too little work (an
                    # empty or concurrency-limited queue): pause a few ms so that polling
                    # workers get a fair chance at the slot this worker just released.
                    self._stop.wait(random.uniform(0.0, 0.02))
            self._notified.clear()

    def _trailing_claim_pause(self) -> float:
        """The pause before one more claim when a drain ended inside the coalescing window
        of the last notification: runs that became ready in that window sent none of their
        own. Infinite (no extra claim) once the window is over, so there is one per window."""
        received, window = self._last_note
        if window > 0 and time.monotonic() - received < window:
            return window
        return float("inf")

    def _claim_size(self, *, eager: bool) -> int:
        """How many tasks to claim now; 0 to wait for more slots to free up.

        One claim per freed slot would cost a round trip and a commit per task, so while
        prefetched tasks keep the threads busy the loop waits until a quarter of its slots
        are free. It claims at once when a thread would otherwise go idle, and for any free
        slot when ``eager`` (a poll or a notification: new work may be there)."""
        with self._lock:
            held = len(self._inflight)
            active = held - self._completing  # waiting for a thread, or running
            body_seconds = self._body_seconds
        capacity = self.concurrency + self._prefetch_now(body_seconds)
        # Tasks waiting for their completion count too once there are as many again: a
        # slow completer holds the claims back rather than letting held tasks pile up.
        free = min(capacity - active, 2 * capacity - held)
        if free <= 0:
            return 0
        if eager or active < self.concurrency or free >= max(1, capacity // 4):
            return free
        return 0

    def _prefetch_now(self, body_seconds: float | None) -> int:
        if self.prefetch is not None:
            return self.prefetch
        if body_seconds is None:
            return 0  # no body has finished yet: nothing known about their length
        return min(PREFETCH_MAX, int(self.concurrency * PREFETCH_HORIZON / max(body_seconds, 1e-6)))

    def _claim(self, n: int) -> list[ClaimedTask]:
        rows = self.app.db.execute(queries.CLAIM, (self.worker_id, n), rows="dict")
        return [ClaimedTask.from_row(row) for row in rows]

    def _dispatch(self, task: ClaimedTask) -> None:
        lease = DEFAULT_LEASE
        if task.lease_expires_at is not None and task.claimed_at is not None:
            lease = max((task.lease_expires_at - task.claimed_at).total_seconds(), 0.3)
        with self._lock:
            self._inflight[task.task] = _InFlight(task, lease)
        self.stats.claimed += 1
        log.debug("claimed task %s of run %s (%s)", task.task, task.run, task.workflow)
        self._work.put(task)

    def _tick(self) -> None:
        try:
            self.app.db.execute(queries.TICK)
        except (psycopg.Error, RatchetError) as exc:
            log.warning("tick failed: %s", _first_line(exc))

    # --- executing a task -----------------------------------------------------------------
    def _executor(self, work: queue_mod.Queue[ClaimedTask | None]) -> None:
        while True:
            task = work.get()
            if task is None:
                break
            started = time.monotonic()
            completion: _Completion | None = None
            try:
                completion = self._execute(task, started)
            except BaseException:
                log.exception("unexpected error running task %s", task.task)
            finally:
                self._body_ended(task.task, time.monotonic() - started, completion)
        loop = getattr(self._local, "loop", None)
        if loop is not None:
            loop.close()

    def _body_ended(self, task: int, seconds: float, completion: _Completion | None) -> None:
        """Free the thread's slot; the task stays held while its completion is written."""
        with self._lock:
            avg = self._body_seconds
            self._body_seconds = seconds if avg is None else avg + DURATION_WEIGHT * (seconds - avg)
            if completion is None:
                self._inflight.pop(task, None)
            else:
                entry = self._inflight.get(task)
                if entry is not None:
                    entry.completing = True
                    self._completing += 1
        if completion is not None:
            self._completer.submit(completion)
        if self._stop.is_set() or self._claim_size(eager=False):
            self._wake.set()

    def _execute(self, task: ClaimedTask, started: float) -> _Completion | None:
        """Run the body; its output to record, or None when the task ended otherwise
        (suspended, failed, abandoned)."""
        wf = self.app.workflows.get(task.workflow)
        ctx = Context(self.app, task)
        try:
            if wf is None:
                raise UnknownWorkflow(f"this worker has no code for workflow {task.workflow!r}")
            if wf.version != task.version:
                log.warning(
                    "%s: run started on version %s, this worker has %s",
                    _label(task),
                    task.version,
                    wf.version,
                )
            if wf.is_async:
                output = self._event_loop().run_until_complete(
                    wf.fn(AsyncContext(ctx), **task.input)
                )
            else:
                output = wf.fn(ctx, **task.input)
        except Suspend as why:
            self.stats.suspended += 1
            log.info("%s: suspended (%s)", _label(task), why)
            return None
        except BaseException as exc:
            if ctx.lost is not None:
                self._abandon(_label(task), ctx.lost)
                return None
            self._fail(ctx, _label(task), exc)
            return None
        if ctx.lost is not None:
            self._abandon(_label(task), ctx.lost)
            return None
        try:
            text = json_text(output, "workflow output")
        except TypeError as exc:
            self._fail(ctx, _label(task), exc, retryable=False)
            return None
        return _Completion(task, ctx, text, time.monotonic() - started)

    def _resolved(self, c: _Completion) -> None:
        """Called by the completer once a completion is committed or refused."""
        try:
            if c.error is None and c.held:
                self.stats.completed += 1
                if log.isEnabledFor(logging.INFO):
                    log.info("%s: completed in %.2fs", _label(c.claimed), c.seconds)
            elif c.error is None:
                self._abandon(_label(c.claimed), TaskNotHeld(f"task {c.task} is no longer held"))
            elif isinstance(c.error, TaskNotHeld | RunCancelled):
                self._abandon(_label(c.claimed), c.error)
            elif isinstance(c.error, InvalidArgument):  # e.g. the output is over the size limit
                self._fail(c.ctx, _label(c.claimed), c.error, retryable=False)
            else:
                log.error(
                    "%s: could not record completion: %s",
                    _label(c.claimed),
                    _first_line(c.error),
                )
        finally:
            with self._lock:
                entry = self._inflight.pop(c.task, None)
                if entry is not None and entry.completing:
                    self._completing -= 1
            if self._stop.is_set() or self._claim_size(eager=False):
                self._wake.set()

    def _fail(
        self, ctx: Context, label: str, exc: BaseException, *, retryable: bool | None = None
    ) -> None:
        failure = ctx.failure_step_for(exc)
        step = failure.step if failure else None
        max_attempts = failure.max_attempts if failure else None
        if retryable is None:
            retryable = bool(getattr(exc, "retryable", True))
        error: dict[str, Any] = {
            "type": type(exc).__name__,
            "message": str(exc),
            "traceback": "".join(traceback.format_exception(exc))[-MAX_TRACEBACK_CHARS:],
        }
        if step is not None:
            error["step"] = step
        if isinstance(exc, RunFailed):
            error["cause"] = exc.error
        try:
            outcome = self.app.db.value(
                queries.FAIL,
                (ctx.task, jsonb(error, "error"), step, retryable, max_attempts),
                retry_for=CALL_RETRY_SECONDS,
            )
        except (TaskNotHeld, RunCancelled) as lost:
            self._abandon(label, lost)
            return
        except (psycopg.Error, RatchetError) as err:
            log.error("%s: could not record failure: %s", label, _first_line(err))
            return
        self.stats.failed += 1
        where = f" in step {step!r}" if step else ""
        log.warning("%s: %s%s: %s -> %s", label, type(exc).__name__, where, exc, outcome)

    def _abandon(self, label: str, why: BaseException) -> None:
        self.stats.abandoned += 1
        log.info("%s: abandoned (%s)", label, _first_line(why))

    def _event_loop(self) -> asyncio.AbstractEventLoop:
        loop = getattr(self._local, "loop", None)
        if loop is None or loop.is_closed():
            loop = asyncio.new_event_loop()
            self._local.loop = loop
        return loop

    # --- heartbeats, wakeups ------------------------------------------------------------
    def _heartbeat_loop(self) -> None:
        last_beat = time.monotonic()
        while not self._closing.is_set():
            with self._lock:
                leases = [f.lease_seconds for f in self._inflight.values()]
            # Every lease/3 while tasks are held, so two lost beats still keep the lease;
            # every 10 s otherwise, to show the worker is alive.
            interval = min(max(min(leases) / 3, 0.1), 10.0) if leases else 10.0
            due = last_beat + interval
            if self._closing.wait(max(min(due - time.monotonic(), 0.25), 0.0)):
                break
            if time.monotonic() < due:
                continue
            last_beat = time.monotonic()
            try:
                self.app.db.execute(queries.HEARTBEAT, (self.worker_id,))
            except UnknownWorker:
                if not self._stop.is_set():
                    log.warning("heartbeat: worker %s unknown; registering again", self.worker_id)
                    with contextlib.suppress(psycopg.Error, RatchetError):
                        self._register(retry=False)
            except (psycopg.Error, RatchetError) as exc:
                log.warning("heartbeat failed: %s", _first_line(exc))

    def _listen_loop(self) -> None:
        channels = [queries.channel_for(q) for q in self.queues]
        delays = backoff_delays(0.2, 10.0)
        while not self._closing.is_set():
            try:
                with psycopg.connect(self.app.db.dsn, autocommit=True) as conn:
                    for channel in channels:
                        conn.execute(queries.listen(channel))
                    delays = backoff_delays(0.2, 10.0)
                    self._wake.set()  # we may have missed notifications while away
                    while not self._closing.is_set():
                        for note in conn.notifies(timeout=1.0, stop_after=1):
                            self._last_note = (time.monotonic(), _coalescing_window(note.payload))
                            self._notified.set()
                            self._wake.set()
            except psycopg.Error as exc:
                if self._closing.is_set():
                    break
                pause = next(delays)
                log.debug(
                    "listener lost its connection (%s); retry in %.1fs", _first_line(exc), pause
                )
                self._closing.wait(pause)

    # --- lifecycle ----------------------------------------------------------------------
    def _register(self, *, retry: bool = True) -> None:
        names = sorted(self.app.workflows) or None

        def call() -> None:
            self.worker_id = self.app.db.value(
                queries.REGISTER_WORKER, (self.name, self.queues, names)
            )

        if retry:
            self._retrying("register worker", call)
        else:
            call()
        log.info(
            "worker %s registered as %s on queues %s (concurrency %d)",
            self.name,
            self.worker_id,
            ", ".join(self.queues),
            self.concurrency,
        )

    def _retrying(self, what: str, fn: Any) -> None:
        delays = backoff_delays(0.2, 5.0)
        while True:
            try:
                fn()
                return
            except psycopg.Error as exc:
                if not is_transient(exc) or self._stop.is_set():
                    raise
                pause = next(delays)
                log.warning(
                    "%s: database unavailable (%s); retrying in %.1fs",
                    what,
                    _first_line(exc),
                    pause,
                )
                time.sleep(pause)

    def _start_threads(self) -> None:
        self._threads = [
            threading.Thread(
                target=self._executor, args=(self._work,), name=f"pgratchet-exec-{i}", daemon=True
            )
            for i in range(self.concurrency)
        ]
        self._threads.append(
            threading.Thread(target=self._heartbeat_loop, name="pgratchet-heartbeat", daemon=True)
        )
        self._threads.append(
            threading.Thread(target=self._completer.loop, name="pgratchet-complete", daemon=True)
        )
        if self.listen:
            self._threads.append(
                threading.Thread(target=self._listen_loop, name="pgratchet-listen", daemon=True)
            )
        for thread in self._threads:
            thread.start()

    def _shutdown(self) -> None:
        self._stop.set()
        self._drop_unstarted()
        deadline = time.monotonic() + self.shutdown_grace
        if self._inflight_count():
            log.info(
                "stopping: waiting up to %.1fs for %d task(s) in flight",
                self.shutdown_grace,
                self._inflight_count(),
            )
        while (
            self._inflight_count() and time.monotonic() < deadline and not self._hard_stop.is_set()
        ):
            self._wake.wait(0.1)
            self._wake.clear()
        for _ in range(self.concurrency):
            self._work.put(None)
        self._closing.set()
        left = self._inflight_count()
        if self.worker_id is not None:
            try:
                handed = self.app.db.value(
                    queries.DEREGISTER_WORKER, (self.worker_id,), retry_for=5.0
                )
                log.info("worker %s deregistered; %s task(s) handed back", self.worker_id, handed)
            except (psycopg.Error, RatchetError) as exc:
                log.warning("deregister failed (%s); leases will expire instead", _first_line(exc))
        if left:
            log.warning("%d task(s) were still running and have been handed back", left)
        for thread in self._threads:
            if thread.name.startswith("pgratchet-exec") and left:
                continue  # a body that is still running cannot be interrupted: leave it
            thread.join(timeout=2.0)

    def _drop_unstarted(self) -> None:
        """Prefetched tasks no thread has started: deregistering hands them back."""
        while True:
            try:
                task = self._work.get_nowait()
            except queue_mod.Empty:
                return
            if task is not None:
                with self._lock:
                    self._inflight.pop(task.task, None)

    def _inflight_count(self) -> int:
        with self._lock:
            return len(self._inflight)

    def _install_signal_handlers(self) -> dict[int, Any] | None:
        if not self.handle_signals or threading.current_thread() is not threading.main_thread():
            return None
        previous: dict[int, Any] = {}

        def handler(signum: int, _frame: FrameType | None) -> None:
            if self._stop.is_set():
                log.warning("second %s: stopping now", signal.Signals(signum).name)
                self._hard_stop.set()
            else:
                log.info("%s: finishing in-flight work, then stopping", signal.Signals(signum).name)
            self.stop()

        for sig in (signal.SIGTERM, signal.SIGINT):
            previous[sig] = signal.signal(sig, handler)
        return previous

    @staticmethod
    def _restore_signal_handlers(previous: dict[int, Any] | None) -> None:
        for sig, old in (previous or {}).items():
            signal.signal(sig, old)

    def __repr__(self) -> str:
        return f"<Worker {self.name} id={self.worker_id} queues={self.queues}>"


def _coalescing_window(payload: str) -> float:
    """Seconds from a NOTIFY's payload: the engine's notify_interval_ms. An empty or
    unknown payload (an older engine, a NOTIFY sent by hand) means no coalescing."""
    try:
        return min(max(int(payload) / 1000, 0.0), 1.0)
    except ValueError:
        return 0.0


def _label(task: ClaimedTask) -> str:
    return f"run {task.run} ({task.workflow}) attempt {task.attempt}"


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


__all__ = ["Worker", "WorkerStats"]
