"""RunHandle: a reference to one run, to poll its status and fetch its result."""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from . import queries
from .database import backoff_delays
from .errors import RunCancelled, RunFailed, UnknownRun

if TYPE_CHECKING:
    from .app import App

FINISHED = frozenset({"completed", "failed", "cancelled"})


@dataclass(frozen=True)
class HistoryEntry:
    """One line of a run's audit trail (``ratchet.run_history``)."""

    seq: int
    at: datetime
    kind: str
    step: str | None
    detail: Any


class RunHandle:
    """A run, by id. Cheap to create; every method asks the database."""

    def __init__(self, app: App, run_id: int) -> None:
        self.app = app
        self.id = int(run_id)

    def status(self) -> str:
        """``queued``, ``running``, ``sleeping``, ``waiting``, ``completed``, ``failed`` or
        ``cancelled``."""
        return self._row()[0]

    def info(self) -> dict[str, Any]:
        """The run's row of ``ratchet.runs`` as a dict."""
        rows = self.app.db.execute(queries.RUN_INFO, (self.id,), rows="dict")
        if not rows:
            raise UnknownRun(f"run {self.id} does not exist")
        return rows[0]

    def result(self, timeout: float | None = None, *, poll_interval: float = 1.0) -> Any:
        """Wait for the run to finish and return its output.

        Polls with backoff (from 10 ms up to ``poll_interval``). Raises ``RunFailed`` with
        the recorded error, ``RunCancelled``, or ``TimeoutError`` after ``timeout`` seconds.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        delays = backoff_delays(0.01, poll_interval, jitter=0.1)
        while True:
            status, output, error = self._row()
            if status == "completed":
                return output
            if status == "failed":
                raise RunFailed(error, run=self.id)
            if status == "cancelled":
                reason = error.get("reason") if isinstance(error, dict) else None
                raise RunCancelled(
                    f"run {self.id} was cancelled" + (f": {reason}" if reason else "")
                )
            pause = next(delays)
            if deadline is not None:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(
                        f"run {self.id} did not finish within {timeout}s (status {status})"
                    )
                pause = min(pause, left)
            time.sleep(pause)

    def wait(self, timeout: float | None = None) -> str:
        """Wait until the run finishes; return its final status (never raises for failure)."""
        with contextlib.suppress(RunFailed, RunCancelled):
            self.result(timeout)
        return self.status()

    def history(self) -> list[HistoryEntry]:
        rows = self.app.db.execute(queries.RUN_HISTORY, (self.id,))
        return [HistoryEntry(*row) for row in rows]

    def children(self) -> list[dict[str, Any]]:
        """Runs started by this one (``ctx.start_child``/``ctx.gather``), oldest first."""
        return self.app.db.execute(queries.CHILD_RUNS, (self.id,), rows="dict")

    def signal(self, event: str, payload: Any = None) -> None:
        self.app.signal(self.id, event, payload)

    def cancel(self, reason: str | None = None) -> bool:
        return self.app.cancel(self.id, reason)

    def retry(self) -> None:
        self.app.retry(self.id)

    def _row(self) -> tuple[str, Any, Any]:
        rows = self.app.db.execute(queries.RUN_STATUS, (self.id,))
        if not rows:
            raise UnknownRun(f"run {self.id} does not exist")
        return rows[0]

    def __int__(self) -> int:
        return self.id

    def __eq__(self, other: object) -> bool:
        return isinstance(other, RunHandle) and other.id == self.id

    def __hash__(self) -> int:
        return hash(self.id)

    def __repr__(self) -> str:
        return f"<RunHandle {self.id}>"
