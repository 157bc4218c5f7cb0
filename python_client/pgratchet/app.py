"""App: the workflow registry and the client calls (start, signal, cancel, retry, ...)."""

from __future__ import annotations

import inspect
import os
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypedDict, TypeVar, overload

from . import queries
from .database import Database, jsonb
from .embedded import Cluster
from .handle import RunHandle

if TYPE_CHECKING:
    from .aio import AsyncClient
    from .worker import Worker

F = TypeVar("F", bound=Callable[..., Any])


class _Unset:
    def __repr__(self) -> str:
        return "UNSET"


#: Marks a queue option as "not given" (None means: send JSON null, i.e. back to default).
UNSET: Any = _Unset()

_WORKFLOW_ATTR = "__pgratchet_workflow__"


class TickResult(TypedDict):
    """What one ``ratchet.tick()`` pass did, as counts of runs (docs/sql-reference.md)."""

    reclaimed: int
    timed_out: int
    woken: int
    deadlines: int
    purged: int


@dataclass(frozen=True)
class Workflow:
    """A registered workflow definition."""

    name: str
    fn: Callable[..., Any]
    queue: str = "default"
    version: str = "1"
    max_attempts: int | None = None
    timeout: timedelta | float | str | None = None

    @property
    def is_async(self) -> bool:
        return inspect.iscoroutinefunction(self.fn)

    def options(self) -> dict[str, Any]:
        opts: dict[str, Any] = {"queue": self.queue, "version": self.version}
        if self.max_attempts is not None:
            opts["max_attempts"] = self.max_attempts
        if self.timeout is not None:
            opts["timeout"] = duration(self.timeout)
        return opts


def duration(value: timedelta | float | str) -> float | str:
    """A duration as the engine takes it: seconds, or text that casts to interval."""
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, bool):
        raise TypeError("a duration must be a timedelta, a number of seconds or interval text")
    return value


def timestamp(value: datetime | str) -> str:
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.astimezone()).isoformat()
    return value


def workflow_name(workflow: str | Workflow | Callable[..., Any]) -> str:
    """Accept a name, a Workflow, or a function decorated with ``@app.workflow``."""
    if isinstance(workflow, str):
        return workflow
    if isinstance(workflow, Workflow):
        return workflow.name
    name = getattr(workflow, _WORKFLOW_ATTR, None)
    if isinstance(name, str):
        return name
    raise TypeError(f"{workflow!r} is not a workflow name or an @app.workflow function")


def start_options(
    *,
    queue: str | None = None,
    idempotency_key: str | None = None,
    priority: int | None = None,
    delay: timedelta | float | str | None = None,
    run_at: datetime | str | None = None,
    deadline: datetime | str | None = None,
    timeout: timedelta | float | str | None = None,
    max_attempts: int | None = None,
    tags: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The ``options`` object of ``ratchet.start``; options left as None are not sent."""
    opts: dict[str, Any] = {}
    if queue is not None:
        opts["queue"] = queue
    if idempotency_key is not None:
        opts["idempotency_key"] = idempotency_key
    if priority is not None:
        opts["priority"] = priority
    if delay is not None:
        opts["delay"] = duration(delay)
    if run_at is not None:
        opts["run_at"] = timestamp(run_at)
    if deadline is not None:
        opts["deadline"] = timestamp(deadline)
    if timeout is not None:
        opts["timeout"] = duration(timeout)
    if max_attempts is not None:
        opts["max_attempts"] = max_attempts
    if tags is not None:
        opts["tags"] = dict(tags)
    return opts


class App:
    """Entry point: holds the connection pool and the workflow registry.

    The database is, in order: ``dsn``, ``$PGRATCHET_DSN``, ``$DATABASE_URL``, else an
    embedded cluster in ``path`` (started if needed, pgratchet installed into it).
    Nothing connects until the first call.
    """

    def __init__(
        self,
        dsn: str | None = None,
        *,
        path: str | os.PathLike[str] = ".pgratchet",
        cluster_settings: Mapping[str, object] | None = None,
        pool_size: int = 8,
        pool_timeout: float = 30.0,
    ) -> None:
        self._dsn = dsn
        self.path = Path(path)
        self._cluster_settings = dict(cluster_settings or {})
        self.cluster: Cluster | None = None
        self.db = Database(self._resolve_dsn, min_size=1, max_size=pool_size, timeout=pool_timeout)
        self.workflows: dict[str, Workflow] = {}
        self._registered: set[str] = set()
        self._register_lock = threading.Lock()

    # --- connection ---------------------------------------------------------------------
    def _resolve_dsn(self) -> str:
        for candidate in (
            self._dsn,
            os.environ.get("PGRATCHET_DSN"),
            os.environ.get("DATABASE_URL"),
        ):
            if candidate:
                return candidate
        self.cluster = Cluster(self.path, settings=self._cluster_settings)
        return self.cluster.ensure()

    @property
    def dsn(self) -> str:
        """The resolved connection string (starts the embedded cluster if that is the one)."""
        return self.db.dsn

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> App:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- definitions --------------------------------------------------------------------
    @overload
    def workflow(self, fn: F, /) -> F: ...

    @overload
    def workflow(
        self,
        name: str | None = None,
        *,
        queue: str = "default",
        version: str = "1",
        max_attempts: int | None = None,
        timeout: timedelta | float | str | None = None,
    ) -> Callable[[F], F]: ...

    def workflow(
        self,
        name: Any = None,
        *,
        queue: str = "default",
        version: str = "1",
        max_attempts: int | None = None,
        timeout: timedelta | float | str | None = None,
    ) -> Any:
        """Decorator registering a workflow body ``fn(ctx, **input)``.

        Usable bare (``@app.workflow``) or with options. The name defaults to the function's
        name. Registration with the database happens lazily, at the first start or worker.
        """

        def decorate(fn: F) -> F:
            wf = Workflow(
                name=name if isinstance(name, str) else fn.__name__,
                fn=fn,
                queue=queue,
                version=str(version),
                max_attempts=max_attempts,
                timeout=timeout,
            )
            self.add_workflow(wf)
            setattr(fn, _WORKFLOW_ATTR, wf.name)
            return fn

        if callable(name) and not isinstance(name, str):
            return decorate(name)
        return decorate

    def add_workflow(self, wf: Workflow) -> None:
        with self._register_lock:
            self.workflows[wf.name] = wf
            self._registered.discard(wf.name)

    def register(self) -> None:
        """Register pending workflows (and create their queues if missing). Idempotent."""
        with self._register_lock:
            pending = [wf for n, wf in self.workflows.items() if n not in self._registered]
            if not pending:
                return
            for queue in sorted({wf.queue for wf in pending}):
                # create_queue with no options changes nothing on an existing queue.
                self.db.execute(queries.CREATE_QUEUE, (queue, jsonb({})))
            for wf in pending:
                self.db.execute(queries.REGISTER_WORKFLOW, (wf.name, jsonb(wf.options())))
                self._registered.add(wf.name)

    def create_queue(
        self,
        name: str,
        *,
        concurrency: int | None = UNSET,
        lease: timedelta | float | str = UNSET,
        max_attempts: int = UNSET,
        backoff: Mapping[str, Any] = UNSET,
        durability: str = UNSET,
        notify: bool = UNSET,
        paused: bool = UNSET,
        retention: timedelta | float | str = UNSET,
        priority_limit: int | None = UNSET,
        **more: Any,
    ) -> None:
        """Create or update a queue. Only the options given are sent (None = the default).

        ``priority_limit`` is the most urgent priority a start may ask for on this queue
        (lower runs first), so one producer cannot jump every other producer's work.
        """
        given = {
            "concurrency": concurrency,
            "lease": lease,
            "max_attempts": max_attempts,
            "backoff": backoff,
            "durability": durability,
            "notify": notify,
            "paused": paused,
            "retention": retention,
            "priority_limit": priority_limit,
            **more,
        }
        opts: dict[str, Any] = {}
        for key, value in given.items():
            if value is UNSET:
                continue
            if key in ("lease", "retention") and value is not None:
                opts[key] = duration(value)
            elif key == "backoff" and value is not None:
                opts[key] = {
                    k: duration(v) if k in ("initial", "max") else v for k, v in value.items()
                }
            else:
                opts[key] = value
        self.db.execute(queries.CREATE_QUEUE, (name, jsonb(opts, "queue options")))

    def pause_queue(self, name: str) -> None:
        self.create_queue(name, paused=True)

    def resume_queue(self, name: str) -> None:
        self.create_queue(name, paused=False)

    # --- clients ------------------------------------------------------------------------
    def start(
        self,
        workflow: str | Workflow | Callable[..., Any],
        input: Mapping[str, Any] | None = None,
        **options: Any,
    ) -> RunHandle:
        """Start a run; returns its handle. Options: queue, idempotency_key, priority, delay,
        run_at, deadline, timeout, max_attempts, tags."""
        name = workflow_name(workflow)
        self._register_if_ours(name)
        run_id = self.db.value(
            queries.START,
            (name, jsonb(dict(input or {}), "input"), jsonb(start_options(**options), "options")),
        )
        return RunHandle(self, run_id)

    def start_many(
        self,
        workflow: str | Workflow | Callable[..., Any],
        inputs: Iterable[Mapping[str, Any]],
        **options: Any,
    ) -> list[RunHandle]:
        """Start one run per input in one statement (one transaction)."""
        name = workflow_name(workflow)
        self._register_if_ours(name)
        rows = self.db.execute(
            queries.START_MANY,
            (
                name,
                jsonb([dict(i or {}) for i in inputs], "inputs"),
                jsonb(start_options(**options), "options"),
            ),
        )
        return [RunHandle(self, row[0]) for row in rows]

    def run(self, run_id: int | RunHandle) -> RunHandle:
        """A handle on an existing run (raises ``UnknownRun`` if there is none)."""
        handle = RunHandle(self, int(run_id))
        handle.status()
        return handle

    def signal(self, run_id: int | RunHandle, event: str, payload: Any = None) -> None:
        """Send ``event`` to a run. Buffered: the run may await it later."""
        param = None if payload is None else jsonb(payload, "payload")
        self.db.execute(queries.SIGNAL, (int(run_id), event, param))

    def cancel(self, run_id: int | RunHandle, reason: str | None = None) -> bool:
        """Cancel a live run (and its children); False if it had already finished."""
        return bool(self.db.value(queries.CANCEL, (int(run_id), reason)))

    def retry(self, run_id: int | RunHandle) -> None:
        """Re-queue a failed or cancelled run; its completed steps stay completed."""
        self.db.execute(queries.RETRY, (int(run_id),))

    def runs(
        self,
        *,
        status: str | None = None,
        workflow: str | None = None,
        queue: str | None = None,
        limit: int = 50,
    ) -> list[dict[str, Any]]:
        """Recent runs, newest first, optionally filtered."""
        params = {"status": status, "workflow": workflow, "queue": queue, "limit": limit}
        return self.db.execute(queries.LIST_RUNS, params, rows="dict")

    def queue_stats(self) -> list[dict[str, Any]]:
        return self.db.execute(queries.QUEUE_STATS, rows="dict")

    def tick(self) -> TickResult:
        """One maintenance pass (workers call it on their own every few seconds)."""
        counts: TickResult = self.db.value(queries.TICK)
        return counts

    def aio(self, *, max_size: int = 4) -> AsyncClient:
        """An asyncio client on the same database and registry (``await client.start(...)``)."""
        from .aio import AsyncClient  # noqa: PLC0415 - aio imports app

        return AsyncClient(self, max_size=max_size)

    # --- workers ------------------------------------------------------------------------
    def worker(
        self,
        queues: Iterable[str] | None = None,
        concurrency: int = 8,
        name: str | None = None,
        poll_interval: float = 1.0,
        **options: Any,
    ) -> Worker:
        """A worker for this app's workflows (see :class:`pgratchet.worker.Worker`)."""
        from .worker import Worker  # noqa: PLC0415 - worker imports app

        return Worker(
            self,
            queues=queues,
            concurrency=concurrency,
            name=name,
            poll_interval=poll_interval,
            **options,
        )

    def _register_if_ours(self, name: str) -> None:
        if name in self.workflows and name not in self._registered:
            self.register()

    def __repr__(self) -> str:
        return f"<App workflows={sorted(self.workflows)}>"
