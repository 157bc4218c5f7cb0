"""Errors raised by pgratchet, mirroring the engine's SQLSTATE class ``RT``.

Each engine error has a fixed SQLSTATE (``RT001``..``RT008``); :func:`translate` turns a
psycopg error carrying one of them into the matching class below, so callers can write
``except pgratchet.UnknownRun`` instead of comparing codes.
"""

from __future__ import annotations

from typing import Any

import psycopg


class RatchetError(Exception):
    """Base class of every error pgratchet raises on purpose."""

    sqlstate: str | None = None
    #: Whether a worker should schedule another attempt when a body raises this error.
    retryable: bool = True

    def __init__(self, message: str = "", *, sqlstate: str | None = None) -> None:
        super().__init__(message)
        if sqlstate is not None:
            self.sqlstate = sqlstate


class TaskNotHeld(RatchetError):
    """RT001: the task is no longer held (lease lost, finished, or unknown)."""

    sqlstate = "RT001"


class RunCancelled(RatchetError):
    """RT002: the run was cancelled. Also raised by ``RunHandle.result()``."""

    sqlstate = "RT002"


class UnknownWorkflow(RatchetError, LookupError):
    """RT003: no workflow of that name is registered."""

    sqlstate = "RT003"


class UnknownQueue(RatchetError, LookupError):
    """RT004: no queue of that name exists."""

    sqlstate = "RT004"


class InvalidArgument(RatchetError, ValueError):
    """RT005: a name, option, payload shape or size was rejected."""

    sqlstate = "RT005"


class UnknownRun(RatchetError, LookupError):
    """RT006: no run with that id exists (or it was purged)."""

    sqlstate = "RT006"


class UnknownWorker(RatchetError, LookupError):
    """RT007: the worker id is unknown or was deregistered."""

    sqlstate = "RT007"


class WrongState(RatchetError):
    """RT008: the run is in the wrong state for this call."""

    sqlstate = "RT008"


class PermissionDenied(RatchetError, PermissionError):
    """42501: the calling role lacks the right for this call (see docs/security.md).

    Raised for a queue right the role was not granted, another role's worker id or task,
    or an admin-only call. Not transient: retrying cannot help until an admin grants it.
    """

    sqlstate = "42501"


class NotInstalled(RatchetError):
    """The database has no ``ratchet`` schema: run ``pgratchet install``."""


class RunFailed(RatchetError):
    """A run ended ``failed``; ``error`` holds the JSON error the engine recorded."""

    retryable = False

    def __init__(self, error: Any, run: int | None = None) -> None:
        self.error = error
        self.run = run
        where = f"run {run} failed" if run is not None else "run failed"
        super().__init__(f"{where}: {_describe(error)}")


class EventTimeout(RatchetError):
    """``ctx.await_event`` gave up: the timeout passed before the event arrived."""

    def __init__(self, step: str, event: str) -> None:
        self.step = step
        self.event = event
        super().__init__(f"step {step!r}: event {event!r} did not arrive before the timeout")


class NonDeterminismError(RatchetError):
    """A replay asked for a different step than the one recorded at that position.

    The workflow code changed under a running run, or it chooses steps from something
    that is not stable across replays (the clock, random numbers, unordered sets).
    """

    sqlstate = "RT009"
    retryable = False

    def __init__(self, position: int, recorded: str, requested: str) -> None:
        self.position = position
        self.recorded = recorded
        self.requested = requested
        super().__init__(
            f"non-deterministic replay at step #{position + 1}: the history recorded step "
            f"{recorded!r} but the code asked for {requested!r}"
        )


class PermanentError(RatchetError):
    """Raise from a workflow body to fail the run at once, without further attempts."""

    retryable = False


_BY_SQLSTATE: dict[str, type[RatchetError]] = {
    cls.sqlstate: cls
    for cls in (
        TaskNotHeld,
        RunCancelled,
        UnknownWorkflow,
        UnknownQueue,
        InvalidArgument,
        UnknownRun,
        UnknownWorker,
        WrongState,
        PermissionDenied,
    )
    if cls.sqlstate
}


def translate(exc: BaseException) -> BaseException:
    """Return the pgratchet error matching a psycopg error, or ``exc`` itself."""
    if not isinstance(exc, psycopg.Error):
        return exc
    state = exc.sqlstate
    message = exc.diag.message_primary or str(exc)
    if state in _BY_SQLSTATE:
        cls = _BY_SQLSTATE[state]
        err: RatchetError = cls(message)
    elif state in ("3F000", "42883", "42P01") and "ratchet" in message:
        # invalid_schema_name / undefined_function / undefined_table: nothing installed.
        err = NotInstalled(
            f"{message}: pgratchet is not installed in this database "
            "(run `pgratchet install`, or `pgratchet install --plain`)",
            sqlstate=state,
        )
    else:
        return exc
    err.__cause__ = exc
    return err


def is_transient(exc: BaseException) -> bool:
    """True for errors worth retrying: lost connections, restarts, serialization failures."""
    return isinstance(exc, psycopg.OperationalError) and not isinstance(
        translate(exc), RatchetError
    )


def _describe(error: Any) -> str:
    if isinstance(error, dict):
        kind = error.get("type")
        message = error.get("message")
        if kind or message:
            return f"{kind or 'error'}: {message or ''}".rstrip(": ")
    return str(error)
