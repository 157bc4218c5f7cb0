"""The connector: a lazily opened connection pool, error translation and retries."""

from __future__ import annotations

import json
import logging
import random
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, Literal, LiteralString, NoReturn, TypeAlias, overload

import psycopg
from psycopg import sql
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb
from psycopg_pool import ConnectionPool

from .errors import is_transient, translate

log = logging.getLogger("pgratchet")

# What the client sends: a constant statement with %s placeholders (queries.py) or one composed
# with psycopg.sql. Narrower than psycopg.abc.Query, which also admits t-string Templates:
# those carry their own values, while every statement here is bound to separate parameters.
Statement: TypeAlias = LiteralString | bytes | sql.SQL | sql.Composed
# Positional (%s) or named (%(name)s) parameters.
Params: TypeAlias = Sequence[Any] | Mapping[str, Any]
# A row as psycopg returns it by default: one value per selected column.
Row: TypeAlias = tuple[Any, ...]


def json_text(value: Any, what: str = "value") -> str:
    """``value`` as JSON text, with a clear error if it is not JSON."""
    try:
        return json.dumps(value, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{what} must be JSON-serialisable: {exc}") from exc


def jsonb(value: Any, what: str = "value") -> Jsonb:
    """Wrap a Python value as a jsonb parameter, with a clear error if it is not JSON."""
    return jsonb_text(json_text(value, what))


def jsonb_text(text: str) -> Jsonb:
    """A jsonb parameter from JSON text already produced by :func:`json_text`, so a value
    that was checked once is not serialised again (e.g. many outputs joined into an array)."""
    return Jsonb(None, dumps=lambda _obj: text)


def backoff_delays(
    initial: float = 0.05, maximum: float = 5.0, jitter: float = 0.25
) -> Iterator[float]:
    """Exponential delays with +- jitter, capped at ``maximum``."""
    delay = initial
    while True:
        yield delay * random.uniform(1 - jitter, 1 + jitter)
        delay = min(delay * 2, maximum)


class Database:
    """Owns the pool. Every call goes through :meth:`execute`, which translates errors."""

    def __init__(
        self,
        resolve_dsn: Callable[[], str],
        *,
        min_size: int = 1,
        max_size: int = 8,
        timeout: float = 30.0,
    ) -> None:
        self._timeout = timeout
        self._resolve_dsn = resolve_dsn
        self._min_size = min_size
        self._max_size = max_size
        self._pool: ConnectionPool | None = None
        self._lock = threading.Lock()
        self._dsn: str | None = None

    @property
    def dsn(self) -> str:
        if self._dsn is None:
            with self._lock:
                if self._dsn is None:
                    self._dsn = self._resolve_dsn()
        return self._dsn

    @property
    def pool(self) -> ConnectionPool:
        if self._pool is None:
            dsn = self.dsn
            with self._lock:
                if self._pool is None:
                    pool = ConnectionPool(
                        dsn,
                        min_size=self._min_size,
                        max_size=self._max_size,
                        kwargs={"autocommit": True},
                        check=ConnectionPool.check_connection,
                        open=False,
                        name="pgratchet",
                        reconnect_timeout=3600,
                        timeout=self._timeout,
                    )
                    pool.open(wait=False)
                    self._pool = pool
        return self._pool

    def ensure_capacity(self, size: int) -> None:
        """Grow the pool's maximum to at least ``size`` connections."""
        if size > self._max_size:
            self._max_size = size
            if self._pool is not None:
                self._pool.resize(self._min_size, size)

    @contextmanager
    def connection(self) -> Iterator[psycopg.Connection[Any]]:
        try:
            with self.pool.connection() as conn:
                yield conn
        except psycopg.Error as exc:
            reraise(exc)

    @overload
    def execute(
        self,
        query: Statement,
        params: Params = ...,
        *,
        retry_for: float | None = ...,
        stop: threading.Event | None = ...,
        rows: Literal["tuple"] = ...,
    ) -> list[Row]: ...

    @overload
    def execute(
        self,
        query: Statement,
        params: Params = ...,
        *,
        retry_for: float | None = ...,
        stop: threading.Event | None = ...,
        rows: Literal["dict"],
    ) -> list[dict[str, Any]]: ...

    def execute(
        self,
        query: Statement,
        params: Params = (),
        *,
        retry_for: float | None = None,
        stop: threading.Event | None = None,
        rows: Literal["tuple", "dict"] = "tuple",
    ) -> list[Row] | list[dict[str, Any]]:
        """Run one statement and fetch all rows (tuples, or dicts with ``rows="dict"``).

        With ``retry_for`` (seconds), transient errors (connection lost, server restarting)
        are retried with backoff for that long. Only idempotent contract calls pass it.
        """
        deadline = None if retry_for is None else time.monotonic() + retry_for
        delays = backoff_delays(0.1, 5.0)
        while True:
            try:
                with self.pool.connection() as conn:
                    if rows == "dict":
                        dict_cur = conn.cursor(row_factory=dict_row)
                        dict_cur.execute(query, params)
                        return dict_cur.fetchall() if dict_cur.description is not None else []
                    cur = conn.execute(query, params)
                    return cur.fetchall() if cur.description is not None else []
            except psycopg.Error as exc:
                if deadline is None or not is_transient(exc) or time.monotonic() > deadline:
                    reraise(exc)
                if stop is not None and stop.is_set():
                    reraise(exc)
                pause = next(delays)
                log.warning("database unavailable (%s); retrying in %.1fs", _short(exc), pause)
                time.sleep(pause)

    def value(
        self,
        query: Statement,
        params: Params = (),
        *,
        retry_for: float | None = None,
        stop: threading.Event | None = None,
    ) -> Any:
        """First column of the first row (None when no row)."""
        result = self.execute(query, params, retry_for=retry_for, stop=stop)
        return result[0][0] if result else None

    def close(self) -> None:
        if self._pool is not None:
            self._pool.close()
            self._pool = None


def reraise(exc: psycopg.Error) -> NoReturn:
    """Raise the pgratchet error matching ``exc`` (chained), or ``exc`` itself."""
    err = translate(exc)
    if err is exc:
        raise exc
    raise err from exc


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
