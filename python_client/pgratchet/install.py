"""Installing the engine SQL into a database: the extension, or the plain script."""

from __future__ import annotations

import logging
import os
import re
from pathlib import Path

import psycopg

from . import queries
from .errors import NotInstalled

log = logging.getLogger("pgratchet")

_PLAIN_NAME = "pgratchet.plain.sql"
_PLAIN_UPGRADE = re.compile(r"pgratchet\.plain--(?P<old>[^-]+)--(?P<new>[^-]+)\.sql")
# A plain install made before ratchet.version() existed.
_FIRST_RELEASE = "0.1.0"


def source_root() -> Path | None:
    """The repository root when the client runs from a source checkout, else None."""
    here = Path(__file__).resolve().parent  # .../python_client/pgratchet
    for candidate in (here.parent.parent, here.parent):
        if (candidate / "extension").is_dir() or (candidate / "sql").is_dir():
            return candidate
    return None


def scripts_dir() -> Path | None:
    """Where the built SQL scripts are: ``$PGRATCHET_SCRIPTS_DIR``, else the source checkout's
    ``extension/`` folder, else None."""
    env = os.environ.get("PGRATCHET_SCRIPTS_DIR")
    if env:
        return Path(env)
    root = source_root()
    if root is not None and (root / "extension").is_dir():
        return root / "extension"
    return None


def plain_script() -> str:
    """The text of the plain install script (for Postgres without the extension files).

    Looks at ``$PGRATCHET_PLAIN_SQL``, then ``pgratchet.plain.sql`` in :func:`scripts_dir`.
    """
    env = os.environ.get("PGRATCHET_PLAIN_SQL")
    if env:
        return Path(env).read_text()
    folder = scripts_dir()
    if folder is not None and (folder / _PLAIN_NAME).is_file():
        return (folder / _PLAIN_NAME).read_text()
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


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


def plain_upgrade_path(installed: str, folder: Path) -> list[Path]:
    """The plain upgrade scripts that take ``installed`` to the newest version in ``folder``,
    in order (``pgratchet.plain--A--B.sql``, then ``--B--C``, ...); empty when up to date."""
    steps: dict[str, tuple[str, Path]] = {}
    for path in folder.glob("pgratchet.plain--*--*.sql"):
        m = _PLAIN_UPGRADE.fullmatch(path.name)
        if m is None:
            continue
        old, new = m["old"], m["new"]
        # From each version, take the step that goes furthest.
        if old not in steps or _version_key(new) > _version_key(steps[old][0]):
            steps[old] = (new, path)
    path_out: list[Path] = []
    current = installed
    while current in steps:
        current, script = steps[current]
        path_out.append(script)
    return path_out


def upgrade(dsn: str) -> str:
    """Upgrade pgratchet in the database at ``dsn`` to the newest version; return what happened.

    An extension install runs ``ALTER EXTENSION pgratchet UPDATE`` (the server must have the
    new scripts: ``make install``). A plain install applies the plain upgrade scripts from its
    version (``ratchet.version()``; 0.1.0 had none) to the newest, all in one transaction under
    an advisory lock, so two upgrades at once cannot both apply a step.
    """
    with psycopg.connect(dsn, autocommit=True) as conn:
        row = conn.execute(queries.EXTENSION_INSTALLED).fetchone()
        if row is not None:
            before = str(row[0])
            conn.execute(queries.UPDATE_EXTENSION)
            after_row = conn.execute(queries.EXTENSION_INSTALLED).fetchone()
            after = str(after_row[0]) if after_row else before
            if after == before:
                return f"extension pgratchet {before} is already the newest the server has"
            return f"updated extension pgratchet {before} -> {after}"
        schema = conn.execute(queries.SCHEMA_EXISTS).fetchone()
        if schema is None or not schema[0]:
            raise NotInstalled("pgratchet is not installed in this database (pgratchet install)")
        folder = scripts_dir()
        if folder is None:
            raise NotInstalled(
                "cannot find the plain upgrade scripts: set PGRATCHET_SCRIPTS_DIR to the folder "
                "holding pgratchet.plain--A--B.sql, or run from a source checkout of pgratchet"
            )
        with conn.transaction():
            conn.execute(queries.UPGRADE_LOCK)
            found = conn.execute(queries.HAS_VERSION_FUNCTION).fetchone()
            if found is not None and found[0]:
                version_row = conn.execute(queries.SCHEMA_VERSION).fetchone()
                installed = str(version_row[0]) if version_row else _FIRST_RELEASE
            else:
                installed = _FIRST_RELEASE
            scripts = plain_upgrade_path(installed, folder)
            if not scripts:
                return f"plain install {installed} is already the newest ({folder})"
            for script in scripts:
                log.info("applying %s", script.name)
                # Our own files, applied whole inside this transaction: all steps or none.
                conn.execute(script.read_bytes())
            final = conn.execute(queries.SCHEMA_VERSION).fetchone()
        return f"upgraded plain install {installed} -> {final[0] if final else '?'}"
