"""The embedded default: a private cluster in a folder, and the plain install script."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
from psycopg.conninfo import make_conninfo

from pgratchet.embedded import Cluster
from tests.conftest import PLAIN_ENGINE, bind_app, drop_database
from tests.support import REPO, SIDE_TABLES_SQL, query, run_worker_until_idle


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PGRATCHET_DSN", "DATABASE_URL")}
    return subprocess.run(
        [sys.executable, "-m", "pgratchet", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.skipif(PLAIN_ENGINE, reason="uses the installed extension, not this tree's script")
def test_dev_start_creates_a_cluster_in_a_folder_that_an_app_without_dsn_uses(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    folder = tmp_path / "agent"
    monkeypatch.delenv("PGRATCHET_DSN", raising=False)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    try:
        started = cli("--path", str(folder), "dev", "start")
        assert started.returncode == 0, started.stderr
        assert "dsn" in started.stdout
        status = cli("--path", str(folder), "dev", "status")
        assert status.returncode == 0 and status.stdout.startswith("running")
        assert (folder / "data" / "PG_VERSION").is_file()

        app = bind_app(None, path=folder)  # no DSN anywhere: the folder's cluster
        query(app.dsn, SIDE_TABLES_SQL)
        handle = app.start("ping")
        run_worker_until_idle(app, queues=["wake"])
        assert handle.result(timeout=5) == {"pong": True}
        assert query(app.dsn, "select extname from pg_extension where extname = 'pgratchet'")
        app.close()

        stopped = cli("--path", str(folder), "dev", "stop")
        assert stopped.returncode == 0, stopped.stderr
        status = cli("--path", str(folder), "dev", "status")
        assert status.returncode != 0 and status.stdout.startswith("stopped")
    finally:
        Cluster(folder).stop("immediate")


def test_install_plain_applies_the_script_where_the_extension_is_not_used(cluster: Cluster):
    name = "plain_install"
    with psycopg.connect(cluster.dsn, autocommit=True) as conn:
        conn.execute(f"drop database if exists {name}")
        conn.execute(f"create database {name} template template0")
    dsn = make_conninfo(cluster.dsn, dbname=name)
    try:
        done = cli("--dsn", dsn, "install", "--plain")
        assert done.returncode == 0, done.stderr
        assert query(dsn, "select count(*) as n from pg_extension where extname = 'pgratchet'") == [
            {"n": 0}
        ]
        query(dsn, SIDE_TABLES_SQL)
        app = bind_app(dsn)
        handle = app.start("ping")
        run_worker_until_idle(app, queues=["wake"])
        assert handle.result(timeout=5) == {"pong": True}
        app.close()
        again = cli("--dsn", dsn, "install", "--plain")
        assert again.returncode == 0, again.stderr  # idempotent
    finally:
        drop_database(cluster, dsn)
