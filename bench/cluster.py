"""A throwaway PostgreSQL 15 cluster for the benchmark, in a temporary folder.

Durable settings (fsync and synchronous_commit on), shared_buffers 1GB, max_connections 200.
Postgres refuses to run as root, so as root every server binary runs as user `postgres`.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

PG_BIN = Path(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin"))

SETTINGS = {
    "shared_buffers": "1GB",
    "max_connections": "200",
    "fsync": "on",
    "synchronous_commit": "on",
    "full_page_writes": "on",
    "wal_level": "replica",
    # Few checkpoints during a workload: WAL figures then measure the engine, not checkpoint timing.
    "max_wal_size": "8GB",
    "checkpoint_timeout": "15min",
    "listen_addresses": "''",
    "shared_preload_libraries": "'pg_stat_statements'",
    # Loaded for profiling, but tracks nothing unless a database turns it on.
    "pg_stat_statements.track": "none",
    "track_io_timing": "on",
    "logging_collector": "off",
    "log_min_messages": "warning",
}


def _as_postgres(cmd: list[str]) -> list[str]:
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *cmd]
    return cmd


class Cluster:
    """initdb + pg_ctl around a temporary data directory, reachable over a private Unix socket."""

    def __init__(self, root: str | None = None) -> None:
        self.root = Path(root or tempfile.mkdtemp(prefix="pgratchet-bench-"))
        self.data = self.root / "data"
        self.sock = self.root / "sock"
        self.log = self.root / "server.log"
        self.port = 5432

    def dsn(self, dbname: str = "postgres") -> str:
        return f"host={self.sock} port={self.port} user=postgres dbname={dbname}"

    def url(self, dbname: str = "postgres", driver: str = "postgresql") -> str:
        return f"{driver}://postgres@/{dbname}?host={self.sock}&port={self.port}"

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(PGHOST=str(self.sock), PGPORT=str(self.port), PGUSER="postgres")
        env.pop("PGDATABASE", None)
        return env

    def init(self) -> None:
        self.sock.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            pw = pwd.getpwnam("postgres")
            for p in (self.root, self.sock):
                os.chown(p, pw.pw_uid, pw.pw_gid)
        self.root.chmod(0o755)
        self.sock.chmod(0o755)
        subprocess.run(
            _as_postgres(
                [
                    str(PG_BIN / "initdb"),
                    "-D",
                    str(self.data),
                    "-U",
                    "postgres",
                    "--auth=trust",
                    "--encoding=UTF8",
                    "--locale=C",
                ]
            ),
            check=True,
            stdout=subprocess.DEVNULL,
        )
        conf = "\n".join(f"{k} = {v}" for k, v in SETTINGS.items())
        conf += f"\nunix_socket_directories = '{self.sock}'\nport = {self.port}\n"
        with (self.data / "postgresql.auto.conf").open("a") as f:
            f.write(conf)

    def start(self) -> None:
        subprocess.run(
            _as_postgres(
                [
                    str(PG_BIN / "pg_ctl"),
                    "-D",
                    str(self.data),
                    "-l",
                    str(self.log),
                    "-w",
                    "-t",
                    "60",
                    "start",
                ]
            ),
            check=True,
            stdout=subprocess.DEVNULL,
        )

    def stop(self, mode: str = "fast") -> None:
        subprocess.run(
            _as_postgres([str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop"]),
            check=False,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def destroy(self) -> None:
        self.stop("immediate")
        shutil.rmtree(self.root, ignore_errors=True)

    def psql(self, sql: str, dbname: str = "postgres") -> str:
        out = subprocess.run(
            [
                str(PG_BIN / "psql"),
                "-X",
                "-q",
                "-A",
                "-t",
                "-v",
                "ON_ERROR_STOP=1",
                "-d",
                dbname,
                "-c",
                sql,
            ],
            check=True,
            capture_output=True,
            text=True,
            env=self.env(),
        )
        return out.stdout.strip()

    def fresh_db(self, name: str) -> str:
        """Drop and recreate database `name`; returns its DSN."""
        for _ in range(50):
            try:
                self.psql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
                break
            except subprocess.CalledProcessError:
                time.sleep(0.2)
        self.psql(f"CREATE DATABASE {name}")
        return self.dsn(name)

    def facts(self) -> dict[str, str]:
        keys = [
            "server_version",
            *[k for k in SETTINGS if "." not in k and k != "listen_addresses"],
        ]
        vals = self.psql(
            "SELECT string_agg(name || '=' || current_setting(name), '|') FROM pg_settings "
            f"WHERE name IN ({', '.join(repr(k) for k in keys)})"
        )
        return dict(kv.split("=", 1) for kv in vals.split("|"))
