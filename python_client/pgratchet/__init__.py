"""pgratchet: durable workflows inside PostgreSQL. This package is the Python client."""

from .app import App, Workflow
from .context import AsyncContext, Context
from .embedded import Cluster
from .errors import (
    EventTimeout,
    InvalidArgument,
    NonDeterminismError,
    NotInstalled,
    PermanentError,
    PermissionDenied,
    RatchetError,
    RunCancelled,
    RunFailed,
    TaskNotHeld,
    UnknownQueue,
    UnknownRun,
    UnknownWorker,
    UnknownWorkflow,
    WrongState,
)
from .handle import HistoryEntry, RunHandle
from .worker import Worker

__version__ = "0.2.0"

__all__ = [
    "App",
    "AsyncContext",
    "Cluster",
    "Context",
    "EventTimeout",
    "HistoryEntry",
    "InvalidArgument",
    "NonDeterminismError",
    "NotInstalled",
    "PermanentError",
    "PermissionDenied",
    "RatchetError",
    "RunCancelled",
    "RunFailed",
    "RunHandle",
    "TaskNotHeld",
    "UnknownQueue",
    "UnknownRun",
    "UnknownWorker",
    "UnknownWorkflow",
    "Worker",
    "Workflow",
    "WrongState",
]
