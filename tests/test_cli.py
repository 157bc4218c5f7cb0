"""The pgratchet command prints readable tables and timelines."""

from __future__ import annotations

import os
import subprocess
import sys

import pgratchet
from tests.support import REPO, run_worker_until_idle


def cli(dsn: str, *args: str) -> str:
    env = {k: v for k, v in os.environ.items() if k not in ("PGRATCHET_DSN", "DATABASE_URL")}
    proc = subprocess.run(
        [sys.executable, "-m", "pgratchet", "--dsn", dsn, *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, (
        f"pgratchet {' '.join(args)} exited {proc.returncode}:\n{proc.stderr}"
    )
    return proc.stdout


def test_runs_show_and_queues_print_tables(app: pgratchet.App, dsn: str):
    done = app.start("ping")
    run_worker_until_idle(app, queues=["wake"])
    waiting = app.start("ping", delay=3600)

    runs = cli(dsn, "runs")
    header = runs.splitlines()[0].split()
    assert header[:4] == ["id", "workflow", "queue", "status"]
    lines = {line.split()[0]: line for line in runs.splitlines()[2:]}
    assert "completed" in lines[str(done.id)] and "ping" in lines[str(done.id)]
    assert "queued" in lines[str(waiting.id)]

    only_done = cli(dsn, "runs", "--status", "completed")
    assert str(done.id) in only_done.split() and str(waiting.id) not in only_done.split()

    show = cli(dsn, "show", str(done.id))
    assert "completed" in show
    for kind in ("created", "claimed", "completed"):
        assert kind in show, f"the timeline lacks {kind!r}:\n{show}"
    assert show.index("created") < show.index("claimed") < show.rindex("completed")

    queues = cli(dsn, "queues")
    assert queues.splitlines()[0].split()[:2] == ["queue", "paused"]
    names = [line.split()[0] for line in queues.splitlines()[2:]]
    assert {"default", "wake"} <= set(names)


def test_cancel_retry_and_signal_commands_change_the_run(app: pgratchet.App, dsn: str):
    run = app.start("await_once")
    assert "cancelled" in cli(dsn, "cancel", str(run.id), "--reason", "testing")
    assert run.status() == "cancelled"
    cli(dsn, "retry", str(run.id))
    assert run.status() == "queued"
    cli(dsn, "signal", str(run.id), "approved", '{"ok": true}')
    assert [e.kind for e in run.history()][-1] == "signal"
    run_worker_until_idle(app, queues=["events"])
    assert run.result(timeout=5) == {"payload": {"ok": True}}


def test_show_of_an_unknown_run_fails_with_a_message(dsn: str):
    env = {k: v for k, v in os.environ.items() if k not in ("PGRATCHET_DSN", "DATABASE_URL")}
    proc = subprocess.run(
        [sys.executable, "-m", "pgratchet", "--dsn", dsn, "show", "424242"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode != 0
    assert "424242" in proc.stderr
