"""asyncio twins of the client calls, for async web handlers and agents.

``app.aio()`` returns an :class:`AsyncClient` on the same database and workflow registry:

    client = app.aio()
    h = await client.start("research", {"topic": "x"})
    output = await h.result(timeout=60)

Workers stay threaded (async *bodies* run on each worker thread's own event loop).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, Literal, overload

import psycopg
from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool

from . import queries
from .database import Params, Row, Statement, backoff_delays, jsonb, reraise
from .errors import RunCancelled, RunFailed, UnknownRun
from .handle import HistoryEntry

if TYPE_CHECKING:
    from .app import App, Workflow


class AsyncClient:
    """Start, signal, cancel and await runs without blocking the event loop."""

    def __init__(self, app: App, *, max_size: int = 4) -> None:
        self.app = app
        self._max_size = max_size
        self._pool: AsyncConnectionPool | None = None

    async def _get_pool(self) -> AsyncConnectionPool:
        if self._pool is None:
            dsn = await asyncio.to_thread(lambda: self.app.dsn)  # may start the embedded cluster
            pool = AsyncConnectionPool(
                dsn,
                min_size=1,
                max_size=self._max_size,
                kwargs={"autocommit": True},
                check=AsyncConnectionPool.check_connection,
                open=False,
                name="pgratchet-async",
            )
            await pool.open()
            if self._pool is None:
                self._pool = pool
            else:
                await pool.close()
        return self._pool

    @overload
    async def execute(
        self, query: Statement, params: Params = ..., *, rows: Literal["tuple"] = ...
    ) -> list[Row]: ...

    @overload
    async def execute(
        self, query: Statement, params: Params = ..., *, rows: Literal["dict"]
    ) -> list[dict[str, Any]]: ...

    async def execute(
        self, query: Statement, params: Params = (), *, rows: Literal["tuple", "dict"] = "tuple"
    ) -> list[Row] | list[dict[str, Any]]:
        pool = await self._get_pool()
        try:
            async with pool.connection() as conn:
                if rows == "dict":
                    dict_cur = conn.cursor(row_factory=dict_row)
                    await dict_cur.execute(query, params)
                    return await dict_cur.fetchall() if dict_cur.description is not None else []
                cur = conn.cursor()
                await cur.execute(query, params)
                return await cur.fetchall() if cur.description is not None else []
        except psycopg.Error as exc:
            reraise(exc)

    async def value(self, query: Statement, params: Params = ()) -> Any:
        result = await self.execute(query, params)
        return result[0][0] if result else None

    async def start(
        self,
        workflow: str | Workflow | Callable[..., Any],
        input: Mapping[str, Any] | None = None,
        **options: Any,
    ) -> AsyncRunHandle:
        from .app import start_options, workflow_name  # noqa: PLC0415 - app imports aio

        name = workflow_name(workflow)
        await self._register_if_ours(name)
        run_id = await self.value(
            queries.START,
            (name, jsonb(dict(input or {}), "input"), jsonb(start_options(**options), "options")),
        )
        return AsyncRunHandle(self, run_id)

    async def start_many(
        self,
        workflow: str | Workflow | Callable[..., Any],
        inputs: Iterable[Mapping[str, Any]],
        **options: Any,
    ) -> list[AsyncRunHandle]:
        from .app import start_options, workflow_name  # noqa: PLC0415

        name = workflow_name(workflow)
        await self._register_if_ours(name)
        rows = await self.execute(
            queries.START_MANY,
            (
                name,
                jsonb([dict(i or {}) for i in inputs], "inputs"),
                jsonb(start_options(**options), "options"),
            ),
        )
        return [AsyncRunHandle(self, row[0]) for row in rows]

    async def run(self, run_id: int) -> AsyncRunHandle:
        handle = AsyncRunHandle(self, int(run_id))
        await handle.status()
        return handle

    async def signal(self, run_id: int, event: str, payload: Any = None) -> None:
        param = None if payload is None else jsonb(payload, "payload")
        await self.execute(queries.SIGNAL, (int(run_id), event, param))

    async def cancel(self, run_id: int, reason: str | None = None) -> bool:
        return bool(await self.value(queries.CANCEL, (int(run_id), reason)))

    async def retry(self, run_id: int) -> None:
        await self.execute(queries.RETRY, (int(run_id),))

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.close()
            self._pool = None

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def _register_if_ours(self, name: str) -> None:
        if name in self.app.workflows:
            await asyncio.to_thread(self.app.register)


class AsyncRunHandle:
    """The async twin of :class:`pgratchet.RunHandle`."""

    def __init__(self, client: AsyncClient, run_id: int) -> None:
        self.client = client
        self.id = int(run_id)

    async def _row(self) -> tuple[str, Any, Any]:
        rows = await self.client.execute(queries.RUN_STATUS, (self.id,))
        if not rows:
            raise UnknownRun(f"run {self.id} does not exist")
        return rows[0]

    async def status(self) -> str:
        return (await self._row())[0]

    async def result(self, timeout: float | None = None, *, poll_interval: float = 1.0) -> Any:
        deadline = None if timeout is None else time.monotonic() + timeout
        delays = backoff_delays(0.01, poll_interval, jitter=0.1)
        while True:
            status, output, error = await self._row()
            if status == "completed":
                return output
            if status == "failed":
                raise RunFailed(error, run=self.id)
            if status == "cancelled":
                raise RunCancelled(f"run {self.id} was cancelled")
            pause = next(delays)
            if deadline is not None:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(
                        f"run {self.id} did not finish within {timeout}s (status {status})"
                    )
                pause = min(pause, left)
            await asyncio.sleep(pause)

    async def history(self) -> list[HistoryEntry]:
        rows = await self.client.execute(queries.RUN_HISTORY, (self.id,))
        return [HistoryEntry(*row) for row in rows]

    def __int__(self) -> int:
        return self.id

    def __repr__(self) -> str:
        return f"<AsyncRunHandle {self.id}>"
