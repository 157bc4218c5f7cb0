"""The harness: throwaway PostgreSQL clusters, a fresh database per test, an App bound to it.

One session-wide cluster runs with fsync off (speed); tests that need real durability
start their own (see test_postgres_restart.py). Each test gets its own database, cloned
from a template that already has the extension and the tests' side tables, and dropped
afterwards, so no test sees another's runs, queues or workers.
"""

from __future__ import annotations

import itertools
import os
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg.conninfo import make_conninfo

import pgratchet
from pgratchet.embedded import Cluster
from tests import workflows
from tests.support import REPO, SIDE_TABLES_SQL, WorkerProcesses, assert_invariants

TEMPLATE = "ratchet_template"

FAST_SETTINGS: dict[str, object] = {
    "fsync": False,
    "synchronous_commit": False,
    "full_page_writes": False,
    "max_connections": 300,
    "shared_buffers": "256MB",
}

_databases = itertools.count(1)


def extension_version() -> str:
    text = (REPO / "pgratchet.control").read_text()
    found = re.search(r"^default_version\s*=\s*'([^']+)'", text, re.MULTILINE)
    assert found, "pgratchet.control has no default_version"
    return found.group(1)


# PGRATCHET_ENGINE=plain: load the engine from this tree's plain script instead of the
# installed extension, so several git worktrees can test side by side without `make install`.
# Tests that need the installed extension itself (packaging, the embedded cluster) skip then.
PLAIN_ENGINE = os.environ.get("PGRATCHET_ENGINE", "extension") == "plain"
PLAIN_SCRIPT = REPO / "extension" / "pgratchet.plain.sql"


def check_installed_extension() -> None:
    """Refuse to test a stale engine: the installed script must be the repo's build."""
    if PLAIN_ENGINE:
        return
    sharedir = subprocess.run(
        ["/usr/lib/postgresql/15/bin/pg_config", "--sharedir"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    script = f"pgratchet--{extension_version()}.sql"
    installed = Path(sharedir) / "extension" / script
    built = REPO / "extension" / script
    if not installed.is_file() or installed.read_bytes() != built.read_bytes():
        raise RuntimeError(
            f"{installed} is missing or differs from {built}: run `make build install` first"
        )


def prepare_template(cluster: Cluster) -> None:
    """A template database with the extension and the side tables the workflows write."""
    with psycopg.connect(cluster.dsn, autocommit=True) as conn:
        conn.execute(f"drop database if exists {TEMPLATE}")
        conn.execute(f"create database {TEMPLATE}")
    with psycopg.connect(make_conninfo(cluster.dsn, dbname=TEMPLATE), autocommit=True) as conn:
        if PLAIN_ENGINE:
            with conn.transaction():
                conn.execute(PLAIN_SCRIPT.read_text())  # type: ignore[arg-type]  # our own file
        else:
            conn.execute("create extension pgratchet")
        conn.execute(SIDE_TABLES_SQL)


def start_cluster(path: Path, settings: dict[str, object]) -> Cluster:
    check_installed_extension()
    cluster = Cluster(path, settings=settings)
    cluster.start()
    prepare_template(cluster)
    return cluster


@pytest.fixture(scope="session")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    cluster = start_cluster(tmp_path_factory.mktemp("pg"), FAST_SETTINGS)
    yield cluster
    cluster.stop("fast")


def create_database(cluster: Cluster, label: str) -> str:
    slug = re.sub(r"[^a-z0-9_]+", "_", label.lower())
    name = f"t{next(_databases)}_{slug}"[:63]
    with psycopg.connect(cluster.dsn, autocommit=True) as conn:
        conn.execute(f'create database "{name}" template {TEMPLATE} strategy file_copy')
    return make_conninfo(cluster.dsn, dbname=name)


def drop_database(cluster: Cluster, dsn: str) -> None:
    name = psycopg.conninfo.conninfo_to_dict(dsn)["dbname"]
    with psycopg.connect(cluster.dsn, autocommit=True) as conn:
        conn.execute(f'drop database if exists "{name}" with (force)')


@pytest.fixture
def dsn(cluster: Cluster, request: pytest.FixtureRequest) -> Iterator[str]:
    """A fresh database of the session cluster, with pgratchet installed.

    At teardown (after the app and the workers that use it) the engine's state must still
    be consistent: every test doubles as a check of the invariants.
    """
    dsn = create_database(cluster, request.node.name)
    try:
        yield dsn
        assert_invariants(dsn)
    finally:
        drop_database(cluster, dsn)


def bind_app(dsn: str, **kwargs: object) -> pgratchet.App:
    """An App on ``dsn`` that knows every workflow of tests/workflows.py."""
    app = pgratchet.App(dsn, **kwargs)
    for wf in workflows.app.workflows.values():
        app.add_workflow(wf)
    return app


@pytest.fixture
def app(dsn: str) -> Iterator[pgratchet.App]:
    app = bind_app(dsn)
    yield app
    app.close()


@pytest.fixture
def workers(dsn: str, tmp_path: Path) -> Iterator[WorkerProcesses]:
    """Worker subprocesses on the test's database; all killed at teardown."""
    procs = WorkerProcesses(dsn, tmp_path)
    yield procs
    procs.stop_all()
    procs.report()
