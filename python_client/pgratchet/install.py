"""Installing the engine SQL into a database: the extension, or the plain script."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import psycopg

from . import queries
from .errors import NotInstalled

log = logging.getLogger("pgratchet")

_PLAIN_NAME = "pgratchet.plain.sql"
_SKIPPED_IN_PLAIN = "99_config_dump.sql"


def source_root() -> Path | None:
    """The repository root when the client runs from a source checkout, else None."""
    here = Path(__file__).resolve().parent  # .../python_client/pgratchet
    for candidate in (here.parent.parent, here.parent):
        if (candidate / "extension").is_dir() or (candidate / "sql").is_dir():
            return candidate
    return None


def plain_script() -> str:
    """The text of the plain install script (for Postgres without the extension files).

    Looks at ``$PGRATCHET_PLAIN_SQL``, then ``extension/pgratchet.plain.sql`` of the source
    checkout, then concatenates ``sql/*.sql`` (minus the config-dump file) as the build does.
    """
    env = os.environ.get("PGRATCHET_PLAIN_SQL")
    if env:
        return Path(env).read_text()
    root = source_root()
    if root is not None:
        built = root / "extension" / _PLAIN_NAME
        if built.is_file():
            return built.read_text()
        parts = sorted(p for p in (root / "sql").glob("*.sql") if p.name != _SKIPPED_IN_PLAIN)
        if parts:
            return "\n".join(p.read_text() for p in parts)
    raise NotInstalled(
        f"cannot find {_PLAIN_NAME}: set PGRATCHET_PLAIN_SQL to its path, or run from a "
        "source checkout of pgratchet"
    )


def install(dsn: str, *, plain: bool = False) -> str:
    """Install pgratchet into the database at ``dsn``; return how (a short sentence).

    Without ``plain``: ``CREATE EXTENSION IF NOT EXISTS pgratchet`` when the extension files
    are installed on the server, else the plain script. With ``plain``: the plain script.
    Does nothing if the ``ratchet`` schema already exists.
    """
    with psycopg.connect(dsn, autocommit=True) as conn:
        version = conn.execute(queries.EXTENSION_INSTALLED).fetchone()
        if version is not None:
            return f"extension pgratchet {version[0]} already installed"
        schema = conn.execute(queries.SCHEMA_EXISTS).fetchone()
        if schema is not None and schema[0]:
            return "schema ratchet already present (plain install)"
        available = conn.execute(queries.EXTENSION_AVAILABLE).fetchone()
        if not plain and available is not None and available[0]:
            conn.execute(queries.CREATE_EXTENSION)
            version = conn.execute(queries.EXTENSION_INSTALLED).fetchone()
            return f"created extension pgratchet {version[0] if version else ''}".rstrip()
        if not plain:
            log.info("extension pgratchet is not available on the server; using the plain script")
        script = plain_script()
        # The script is our own file, applied whole in one transaction: all or nothing.
        with conn.transaction():
            conn.execute(script.encode())
        return "applied the plain install script"
