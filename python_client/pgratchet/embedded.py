"""A private PostgreSQL cluster in a local folder: the embedded default.

Like SQLite's file, but the full engine: ``Cluster(".pgratchet")`` holds a data directory,
a server log and the Unix socket, and talks to nobody over TCP (``listen_addresses=''``).

Postgres refuses to run as root. When the client runs as root it starts the server as the
``postgres`` system user (``runuser -u postgres --``) and hands the folder to that user.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import shutil
import stat
import subprocess
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path

from psycopg.conninfo import make_conninfo

from .errors import RatchetError
from .install import install

PORT = 5432
# sockaddr_un.sun_path is 108 bytes on Linux, including the trailing NUL.
_MAX_SOCKET_PATH = 107
_SOCKET_FILE = f".s.PGSQL.{PORT}"

# Sane for a laptop: small memory, fast shutdown, logs kept inside the folder.
DEFAULT_SETTINGS: dict[str, str] = {
    "listen_addresses": "''",
    "max_connections": "100",
    "shared_buffers": "'128MB'",
    "work_mem": "'8MB'",
    "max_wal_size": "'1GB'",
    "log_min_messages": "warning",
    "log_min_error_statement": "panic",
    "log_line_prefix": "'%m [%p] '",
    "timezone": "'UTC'",
}


class ClusterError(RatchetError):
    """The embedded cluster could not be set up, started or stopped."""


def bindir() -> Path:
    """Directory holding ``initdb``, ``pg_ctl`` and ``postgres`` for PostgreSQL 15."""
    env = os.environ.get("PGRATCHET_PG_BINDIR")
    candidates = [Path(env)] if env else []
    candidates.append(Path("/usr/lib/postgresql/15/bin"))
    pg_config = shutil.which("pg_config")
    if pg_config:
        with contextlib.suppress(OSError, subprocess.CalledProcessError):
            out = subprocess.run(
                [pg_config, "--bindir"], check=True, capture_output=True, text=True
            ).stdout.strip()
            candidates.append(Path(out))
    for cand in candidates:
        if (cand / "initdb").is_file() and (cand / "pg_ctl").is_file():
            return cand
    raise ClusterError(
        "PostgreSQL 15 server binaries (initdb, pg_ctl) not found in "
        f"{', '.join(str(c) for c in candidates)}. Install them with "
        "`apt-get install postgresql-15 postgresql-plpython3-15` "
        "(or set PGRATCHET_PG_BINDIR)."
    )


class Cluster:
    """A PostgreSQL cluster living in ``path``.

    ``settings`` are extra server settings (``{"fsync": "off"}``), applied at every start;
    they override the laptop defaults.
    """

    def __init__(
        self, path: str | os.PathLike[str], settings: Mapping[str, object] | None = None
    ) -> None:
        self.path = Path(path).resolve()
        self.settings = dict(settings or {})
        self._as_root = os.geteuid() == 0

    # --- locations ----------------------------------------------------------------------
    @property
    def data_dir(self) -> Path:
        return self.path / "data"

    @property
    def log_file(self) -> Path:
        return self.path / "server.log"

    @property
    def socket_dir(self) -> Path:
        """The folder itself, unless its path is too long for a Unix socket."""
        if len(str(self.path / _SOCKET_FILE)) <= _MAX_SOCKET_PATH:
            return self.path
        digest = hashlib.sha1(str(self.path).encode()).hexdigest()[:12]  # noqa: S324
        return Path(tempfile.gettempdir()) / f"pgratchet-{digest}"

    @property
    def dsn(self) -> str:
        return make_conninfo(
            host=str(self.socket_dir), port=str(PORT), user="postgres", dbname="postgres"
        )

    # --- lifecycle ----------------------------------------------------------------------
    def is_initialized(self) -> bool:
        return (self.data_dir / "PG_VERSION").is_file()

    def init(self) -> None:
        """Create the data directory (idempotent)."""
        with self._lock():
            self._init_locked()

    def _init_locked(self) -> None:
        if self.is_initialized():
            return
        self.path.mkdir(parents=True, exist_ok=True)
        self._prepare_dirs()
        self._run(
            [
                str(bindir() / "initdb"),
                "-D",
                str(self.data_dir),
                "-U",
                "postgres",
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C",
                "--no-instructions",
            ],
            what="initdb",
        )
        conf = self.data_dir / "postgresql.conf"
        with conf.open("a") as fh:
            fh.write("\n# pgratchet: settings live in pgratchet.conf, rewritten at each start\n")
            fh.write("include_if_exists = 'pgratchet.conf'\n")

    def start(self) -> None:
        """Start the server (initialising the folder first if needed); no-op if running."""
        with self._lock():
            self._init_locked()
            if self.status() == "running":
                return
            self._prepare_dirs()
            self._write_settings()
            self._run(
                [
                    str(bindir() / "pg_ctl"),
                    "start",
                    "-D",
                    str(self.data_dir),
                    "-l",
                    str(self.log_file),
                    "-w",
                    "-t",
                    "60",
                ],
                what="pg_ctl start",
                hint=self.log_file,
            )

    def stop(self, mode: str = "fast") -> None:
        """Stop the server: ``fast`` (clean) or ``immediate`` (crash-like, recovery on start)."""
        if mode not in ("smart", "fast", "immediate"):
            raise ValueError(f"stop mode must be smart, fast or immediate, not {mode!r}")
        if self.status() != "running":
            return
        self._run(
            [
                str(bindir() / "pg_ctl"),
                "stop",
                "-D",
                str(self.data_dir),
                "-m",
                mode,
                "-w",
                "-t",
                "60",
            ],
            what="pg_ctl stop",
        )

    def status(self) -> str:
        """``running``, ``stopped`` or ``uninitialized``."""
        if not self.is_initialized():
            return "uninitialized"
        proc = subprocess.run(
            self._as_owner([str(bindir() / "pg_ctl"), "status", "-D", str(self.data_dir)]),
            capture_output=True,
            text=True,
            check=False,
        )
        return "running" if proc.returncode == 0 else "stopped"

    def install_extension(self, *, plain: bool = False) -> str:
        """Install pgratchet (extension, or plain script as a fallback); returns how."""
        return install(self.dsn, plain=plain)

    def ensure(self) -> str:
        """Start if needed and make sure pgratchet is installed; returns the DSN."""
        self.start()
        self.install_extension()
        return self.dsn

    # --- helpers ------------------------------------------------------------------------
    def _write_settings(self) -> None:
        values = dict(DEFAULT_SETTINGS)
        values["unix_socket_directories"] = _quote(str(self.socket_dir))
        values["unix_socket_permissions"] = "0777" if self._as_root else "0700"
        for key, value in self.settings.items():
            values[key] = _setting_value(value)
        text = "".join(f"{k} = {v}\n" for k, v in values.items())
        target = self.data_dir / "pgratchet.conf"
        target.write_text("# written by pgratchet.embedded.Cluster at start\n" + text)
        self._chown(target)

    def _prepare_dirs(self) -> None:
        self.socket_dir.mkdir(parents=True, exist_ok=True)
        if not self._as_root:
            return
        for folder in {self.path, self.socket_dir}:
            _make_reachable(folder)
            shutil.chown(folder, "postgres", "postgres")
        for entry in self.path.iterdir():
            if entry.name != "data" and not entry.is_symlink():
                shutil.chown(entry, "postgres", "postgres")

    def _chown(self, target: Path) -> None:
        if self._as_root:
            shutil.chown(target, "postgres", "postgres")

    def _as_owner(self, argv: list[str]) -> list[str]:
        return ["runuser", "-u", "postgres", "--", *argv] if self._as_root else argv

    def _run(self, argv: list[str], *, what: str, hint: Path | None = None) -> None:
        proc = subprocess.run(
            self._as_owner(argv),
            capture_output=True,
            text=True,
            check=False,
            cwd=self.path if self.path.is_dir() else None,
            stdin=subprocess.DEVNULL,
        )
        if proc.returncode != 0:
            detail = (proc.stderr or proc.stdout).strip()
            if hint is not None and hint.is_file():
                tail = hint.read_text(errors="replace").strip().splitlines()[-10:]
                detail += "\n--- " + str(hint) + " ---\n" + "\n".join(tail)
            raise ClusterError(f"{what} failed for {self.path} (exit {proc.returncode}):\n{detail}")

    @contextlib.contextmanager
    def _lock(self) -> Iterator[None]:
        """Serialise init/start between processes sharing the folder."""
        self.path.mkdir(parents=True, exist_ok=True)
        with (self.path / ".cluster.lock").open("a") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def __repr__(self) -> str:
        return f"Cluster({str(self.path)!r})"


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _setting_value(value: object) -> str:
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, int | float):
        return str(value)
    return _quote(str(value))


def _make_reachable(folder: Path) -> None:
    """Let the postgres user traverse to ``folder`` (as root): add o+x where it is missing.

    Only the search bit is added, never read: e.g. pytest's /tmp/pytest-of-root is 0700.
    """
    for parent in reversed(folder.resolve().parents):
        mode = parent.stat().st_mode
        if not mode & stat.S_IXOTH:
            parent.chmod(mode | stat.S_IXOTH)
