"""Context: what a workflow body uses to make its work durable.

A body runs again from the top each time its run is claimed (after a crash, a sleep, an
await). Every ``ctx`` call is a *step* with a name; a step that already has a recorded
result returns that result without doing the work again. That is the whole replay model:
the database hands the worker the recorded results (``checkpoints``) and the order in
which they were recorded (``steps``) with each claim.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, TypedDict

import psycopg

from . import queries
from .database import jsonb, reraise
from .errors import (
    EventTimeout,
    NonDeterminismError,
    RunCancelled,
    RunFailed,
    TaskNotHeld,
)
from .handle import RunHandle

if TYPE_CHECKING:
    from .app import App, Workflow

# How long an idempotent engine call from inside a body keeps retrying while the database
# is unreachable (a restart). Past that the task is abandoned and its lease runs out.
CALL_RETRY_SECONDS = 60.0


class Suspend(BaseException):
    """Unwinds a body whose run was suspended (sleeping, waiting). Internal.

    A BaseException so that ``except Exception`` in user code does not swallow it.
    """


@dataclass
class ClaimedTask:
    """One row of ``ratchet.claim``."""

    task: int
    run: int
    workflow: str
    version: str
    queue: str
    input: dict[str, Any]
    attempt: int
    checkpoints: dict[str, Any]
    steps: list[str]
    lease_expires_at: datetime | None = None
    deadline: datetime | None = None
    claimed_at: datetime | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> ClaimedTask:
        known = {f for f in cls.__dataclass_fields__ if f != "extra"}
        values = {k: v for k, v in row.items() if k in known}
        values["input"] = values.get("input") or {}
        values["checkpoints"] = values.get("checkpoints") or {}
        values["steps"] = list(values.get("steps") or [])
        return cls(**values, extra={k: v for k, v in row.items() if k not in known})


class RunOutcome(TypedDict):
    """One finished run as ``ratchet.await_runs`` reports it."""

    run: int
    status: str
    output: Any
    error: Any


@dataclass
class StepFailure:
    """Which step an exception escaped from, so the worker can pass it to ``ratchet.fail``."""

    error: BaseException
    step: str
    max_attempts: int | None


class Context:
    """Handed to a synchronous workflow body as its first argument."""

    def __init__(self, app: App, claimed: ClaimedTask) -> None:
        self.app = app
        self._claimed = claimed
        self._checkpoints: dict[str, Any] = dict(claimed.checkpoints)
        self._recorded: list[str] = list(claimed.steps)
        self._position = 0
        self._seen: set[str] = set()
        self.step_failure: StepFailure | None = None
        #: Set once an engine call said the task is no longer ours (RT001/RT002).
        self.lost: BaseException | None = None

    # --- identity -----------------------------------------------------------------------
    @property
    def run_id(self) -> int:
        return self._claimed.run

    @property
    def task(self) -> int:
        return self._claimed.task

    @property
    def attempt(self) -> int:
        return self._claimed.attempt

    @property
    def workflow(self) -> str:
        return self._claimed.workflow

    @property
    def version(self) -> str:
        return self._claimed.version

    @property
    def queue(self) -> str:
        return self._claimed.queue

    @property
    def input(self) -> dict[str, Any]:
        return self._claimed.input

    @property
    def deadline(self) -> datetime | None:
        return self._claimed.deadline

    @property
    def is_replaying(self) -> bool:
        """True while the body is still re-walking steps recorded by an earlier execution."""
        return self._position < len(self._recorded)

    # --- steps --------------------------------------------------------------------------
    def step(
        self,
        name: str,
        fn: Callable[..., Any],
        *args: Any,
        max_attempts: int | None = None,
        **kwargs: Any,
    ) -> Any:
        """Run ``fn(*args, **kwargs)`` once and checkpoint its JSON result under ``name``.

        On replay the recorded result is returned and ``fn`` is not called. If ``fn``
        raises, the run fails this attempt; ``max_attempts`` overrides the attempt limit
        for failures of this step. An async ``fn`` is run to completion here.
        """
        found, value = self._begin(name)
        if found:
            return value
        try:
            result = fn(*args, **kwargs)
            if inspect.isawaitable(result):
                result = asyncio.run(_await(result))
        except BaseException as exc:
            self._note_failure(exc, name, max_attempts)
            raise
        return self._record(name, result)

    def transaction(
        self,
        name: str,
        fn: Callable[..., Any],
        *args: Any,
        max_attempts: int | None = None,
        **kwargs: Any,
    ) -> Any:
        """Run ``fn(conn, *args)`` in a transaction that also records the step: exactly once.

        ``fn`` gets a psycopg connection inside an open transaction; its writes commit
        together with the checkpoint, or not at all. On replay the stored result is
        returned and ``fn`` is not called.

        It is a function rather than a ``with`` block on purpose: a replay must be able to
        skip the work entirely, and the body of a ``with`` statement cannot be skipped.
        """
        found, value = self._begin(name)
        if found:
            return value
        try:
            with self.app.db.connection() as conn, conn.transaction():
                result = fn(conn, *args, **kwargs)
                param = jsonb(result, f"result of step {name!r}")
                stored = self._call_in(conn, queries.CHECKPOINT, (self.task, name, param))
        except (TaskNotHeld, RunCancelled) as exc:
            self._lose(exc)
            raise
        except BaseException as exc:
            self._note_failure(exc, name, max_attempts)
            raise
        self._remember(name, stored)
        return stored

    def sleep(self, name: str, duration: timedelta | datetime | float) -> None:
        """Durable timer: suspend the run until ``duration`` (a timedelta or seconds from
        the first call, or an aware datetime) has passed. A replay keeps the first wake time.
        """
        found, _ = self._begin(name, lookup=False)
        del found  # sleep always asks the engine: it knows whether the time has passed
        if isinstance(duration, datetime):
            suspended = self._call(queries.SLEEP_UNTIL, (self.task, name, duration))
        else:
            delta = duration if isinstance(duration, timedelta) else timedelta(seconds=duration)
            suspended = self._call(queries.SLEEP_FOR, (self.task, name, delta))
        if suspended:
            raise Suspend(f"sleeping at {name!r}")
        self._recorded_new(name)

    def await_event(self, name: str, event: str, timeout: timedelta | float | None = None) -> Any:
        """Wait for the event ``event`` sent to this run; return its payload.

        Events are buffered: one sent before this call is not lost. Raises ``EventTimeout``
        when ``timeout`` passes first.
        """
        found, value = self._begin(name)
        if not found:
            if timeout is not None and not isinstance(timeout, timedelta):
                timeout = timedelta(seconds=timeout)
            value = self._call(queries.AWAIT_EVENT, (self.task, name, event, timeout))
            if value is None:
                raise Suspend(f"waiting for {event!r} at {name!r}")
            self._remember(name, value)
        if isinstance(value, dict) and value.get("timed_out"):
            raise EventTimeout(name, event)
        return value.get("payload") if isinstance(value, dict) else value

    def start_child(
        self,
        name: str,
        workflow: str | Workflow | Callable[..., Any],
        input: dict[str, Any] | None = None,
        **options: Any,
    ) -> RunHandle:
        """Start a child run once per ``(run, name)``; returns its handle.

        ``options`` are the same as :meth:`App.start` (queue, priority, delay, ...).
        """
        found, value = self._begin(name)
        if not found:
            from .app import start_options, workflow_name  # noqa: PLC0415 - import cycle

            value = {
                "run": self._call(
                    queries.START_CHILD,
                    (
                        self.task,
                        name,
                        workflow_name(workflow),
                        jsonb(input or {}, "child input"),
                        jsonb(start_options(**options), "start options"),
                    ),
                )
            }
            self._remember(name, value)
        return RunHandle(self.app, value["run"])

    def await_runs(self, name: str, runs: Iterable[RunHandle | int]) -> list[RunOutcome]:
        """Suspend until every run has finished; return ``[{run, status, output, error}]``
        in the order given. Completed, failed and cancelled all count as finished."""
        found, value = self._begin(name)
        if not found:
            ids = [int(r) for r in runs]
            value = self._call(queries.AWAIT_RUNS, (self.task, name, ids))
            if value is None:
                raise Suspend(f"waiting for {len(ids)} runs at {name!r}")
            self._remember(name, value)
        return list(value)

    def gather(
        self,
        name: str,
        workflow: str | Workflow | Callable[..., Any],
        inputs: Sequence[dict[str, Any]],
        **options: Any,
    ) -> list[Any]:
        """Fan out one child run per input, fan in: return their outputs in order.

        Children are steps ``name[0]``, ``name[1]``, ...; the fan-in is step ``name``.
        Raises ``RunFailed`` if any child failed or was cancelled.
        """
        handles = [
            self.start_child(f"{name}[{i}]", workflow, inp, **options)
            for i, inp in enumerate(inputs)
        ]
        results = self.await_runs(name, handles)
        bad = [r for r in results if r.get("status") != "completed"]
        if bad:
            raise RunFailed(
                {
                    "type": "ChildRunFailed",
                    "message": f"{len(bad)} of {len(results)} child runs did not complete",
                    "children": bad,
                },
                run=self.run_id,
            )
        return [r.get("output") for r in results]

    def idempotency_key(self, name: str) -> str:
        """A key that is the same on every replay of this run, for external APIs."""
        return f"pgratchet-{self.run_id}-{name}"

    # --- replay bookkeeping -------------------------------------------------------------
    def _begin(self, name: str, *, lookup: bool = True) -> tuple[bool, Any]:
        """Check replay order for a step request and look up its recorded result."""
        if not isinstance(name, str) or not name:
            raise ValueError("a step name must be a non-empty string")
        if name not in self._seen:
            # A name asked for again within one execution is a reuse, not a new position.
            self._seen.add(name)
            position = self._position
            self._position += 1
            if position < len(self._recorded) and self._recorded[position] != name:
                raise NonDeterminismError(position, self._recorded[position], name)
        if lookup and name in self._checkpoints:
            return True, self._checkpoints[name]
        return False, None

    def _record(self, name: str, result: Any) -> Any:
        param = jsonb(result, f"result of step {name!r}")
        stored = self._call(queries.CHECKPOINT, (self.task, name, param))
        self._remember(name, stored)
        return stored

    def _remember(self, name: str, value: Any) -> None:
        self._checkpoints[name] = value
        self._recorded_new(name)

    def _recorded_new(self, name: str) -> None:
        if name not in self._recorded:
            self._recorded.append(name)

    def _note_failure(self, exc: BaseException, name: str, max_attempts: int | None) -> None:
        if isinstance(exc, Exception) and self.step_failure is None:
            self.step_failure = StepFailure(exc, name, max_attempts)

    def _lose(self, exc: BaseException) -> None:
        if self.lost is None:
            self.lost = exc

    def _call(self, query: str, params: Sequence[Any]) -> Any:
        try:
            return self.app.db.value(query, params, retry_for=CALL_RETRY_SECONDS)
        except (TaskNotHeld, RunCancelled) as exc:
            self._lose(exc)
            raise

    def _call_in(self, conn: psycopg.Connection[Any], query: str, params: Sequence[Any]) -> Any:
        try:
            row = conn.execute(query, params).fetchone()
        except psycopg.Error as exc:
            reraise(exc)
        return row[0] if row else None

    def failure_step_for(self, exc: BaseException) -> StepFailure | None:
        """The step an exception came from, following ``raise ... from`` chains."""
        failure = self.step_failure
        if failure is None:
            return None
        seen: set[int] = set()
        cur: BaseException | None = exc
        while cur is not None and id(cur) not in seen:
            if cur is failure.error:
                return failure
            seen.add(id(cur))
            cur = cur.__cause__ or cur.__context__
        return None

    def __repr__(self) -> str:
        return f"<Context run={self.run_id} task={self.task} attempt={self.attempt}>"


class AsyncContext:
    """Handed to an ``async def`` body: the same methods as :class:`Context`, awaited.

    Database calls run in a thread so the body's event loop stays responsive. Do not run
    ``ctx`` calls concurrently (``asyncio.gather`` of two steps): step order must be
    deterministic. Use :meth:`gather` (child runs) for parallel work.
    """

    def __init__(self, sync: Context) -> None:
        self.sync = sync

    @property
    def run_id(self) -> int:
        return self.sync.run_id

    @property
    def task(self) -> int:
        return self.sync.task

    @property
    def attempt(self) -> int:
        return self.sync.attempt

    @property
    def workflow(self) -> str:
        return self.sync.workflow

    @property
    def version(self) -> str:
        return self.sync.version

    @property
    def queue(self) -> str:
        return self.sync.queue

    @property
    def input(self) -> dict[str, Any]:
        return self.sync.input

    @property
    def deadline(self) -> datetime | None:
        return self.sync.deadline

    @property
    def is_replaying(self) -> bool:
        return self.sync.is_replaying

    async def step(
        self,
        name: str,
        fn: Callable[..., Any],
        *args: Any,
        max_attempts: int | None = None,
        **kwargs: Any,
    ) -> Any:
        found, value = self.sync._begin(name)
        if found:
            return value
        try:
            result = fn(*args, **kwargs)
            if inspect.isawaitable(result):
                result = await result
        except BaseException as exc:
            self.sync._note_failure(exc, name, max_attempts)
            raise
        return await asyncio.to_thread(self.sync._record, name, result)

    async def transaction(self, name: str, fn: Callable[..., Any], *args: Any, **kw: Any) -> Any:
        return await asyncio.to_thread(self.sync.transaction, name, fn, *args, **kw)

    async def sleep(self, name: str, duration: timedelta | datetime | float) -> None:
        await asyncio.to_thread(self.sync.sleep, name, duration)

    async def await_event(
        self, name: str, event: str, timeout: timedelta | float | None = None
    ) -> Any:
        return await asyncio.to_thread(self.sync.await_event, name, event, timeout)

    async def start_child(
        self,
        name: str,
        workflow: str | Workflow | Callable[..., Any],
        input: dict[str, Any] | None = None,
        **options: Any,
    ) -> RunHandle:
        return await asyncio.to_thread(self.sync.start_child, name, workflow, input, **options)

    async def await_runs(self, name: str, runs: Iterable[RunHandle | int]) -> list[RunOutcome]:
        return await asyncio.to_thread(self.sync.await_runs, name, list(runs))

    async def gather(
        self,
        name: str,
        workflow: str | Workflow | Callable[..., Any],
        inputs: Sequence[dict[str, Any]],
        **options: Any,
    ) -> list[Any]:
        return await asyncio.to_thread(self.sync.gather, name, workflow, list(inputs), **options)

    def idempotency_key(self, name: str) -> str:
        return self.sync.idempotency_key(name)

    def __repr__(self) -> str:
        return f"<AsyncContext run={self.run_id} task={self.task} attempt={self.attempt}>"


async def _await(awaitable: Any) -> Any:
    return await awaitable
