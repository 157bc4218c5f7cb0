"""The ``pgratchet`` command: embedded cluster, install, workers, runs, queues."""

from __future__ import annotations

import argparse
import importlib
import json
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import psycopg

from . import display
from .app import App
from .embedded import Cluster, bindir
from .errors import RatchetError
from .install import install, upgrade

log = logging.getLogger("pgratchet")


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)-7s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    # The pool reports every failed reconnect; the worker logs its own, calmer summary.
    logging.getLogger("psycopg.pool").setLevel(logging.DEBUG if args.verbose else logging.ERROR)
    try:
        return int(args.func(args) or 0)
    except (RatchetError, psycopg.Error) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pgratchet",
        description="Durable workflows inside PostgreSQL.",
        epilog="Database: --dsn, else $PGRATCHET_DSN, else $DATABASE_URL, "
        "else the embedded cluster in --path.",
    )
    parser.add_argument("--dsn", help="connection string (default: see below)")
    parser.add_argument(
        "--path", default=".pgratchet", help="embedded cluster folder (default: ./.pgratchet)"
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(title="commands", metavar="COMMAND")

    dev = sub.add_parser("dev", help="the embedded cluster: start, stop, status, psql")
    dev.add_argument("action", choices=["start", "stop", "status", "psql"])
    dev.add_argument("--immediate", action="store_true", help="stop: crash-like immediate mode")
    dev.set_defaults(func=cmd_dev)

    inst = sub.add_parser("install", help="install pgratchet into the database")
    inst.add_argument(
        "--plain",
        action="store_true",
        help="apply the plain SQL script instead of CREATE EXTENSION",
    )
    inst.set_defaults(func=cmd_install)

    upg = sub.add_parser(
        "upgrade", help="upgrade pgratchet in the database (extension or plain) to the newest"
    )
    upg.set_defaults(func=cmd_upgrade)

    work = sub.add_parser("worker", help="run a worker for MODULE:APP")
    work.add_argument("target", metavar="MODULE:APP", help="e.g. myproject.flows:app")
    work.add_argument("--concurrency", "-c", type=int, default=8)
    work.add_argument("--queues", "-q", help="comma-separated (default: the app's queues)")
    work.add_argument("--name", help="worker name (default: host-pid)")
    work.add_argument("--poll-interval", type=float, default=1.0)
    work.add_argument("--shutdown-grace", type=float, default=30.0)
    work.add_argument(
        "--prefetch",
        type=int,
        default=None,
        help="claim this many tasks ahead of free threads (default: adapt to the bodies)",
    )
    work.add_argument("--stop-when-idle", type=float, default=None, metavar="SECONDS")
    work.set_defaults(func=cmd_worker)

    runs = sub.add_parser("runs", help="list recent runs")
    runs.add_argument("--status")
    runs.add_argument("--workflow")
    runs.add_argument("--queue")
    runs.add_argument("--limit", type=int, default=20)
    runs.set_defaults(func=cmd_runs)

    show = sub.add_parser("show", help="a run's status and timeline")
    show.add_argument("run", type=int)
    show.set_defaults(func=cmd_show)

    cancel = sub.add_parser("cancel", help="cancel a run (and its children)")
    cancel.add_argument("run", type=int)
    cancel.add_argument("--reason")
    cancel.set_defaults(func=cmd_cancel)

    retry = sub.add_parser("retry", help="re-queue a failed or cancelled run")
    retry.add_argument("run", type=int)
    retry.set_defaults(func=cmd_retry)

    sig = sub.add_parser("signal", help="send an event to a run")
    sig.add_argument("run", type=int)
    sig.add_argument("event")
    sig.add_argument("payload", nargs="?", help="JSON (a bare word is sent as a string)")
    sig.set_defaults(func=cmd_signal)

    queues = sub.add_parser("queues", help="queue statistics")
    queues.set_defaults(func=cmd_queues)
    return parser


def _app(args: argparse.Namespace) -> App:
    if not args.dsn and not os.environ.get("PGRATCHET_DSN") and not os.environ.get("DATABASE_URL"):
        cluster = Cluster(args.path)
        if cluster.status() != "running":
            log.info("starting the embedded cluster in %s", cluster.path)
    return App(args.dsn, path=args.path, pool_timeout=10.0)


def cmd_dev(args: argparse.Namespace) -> int:
    cluster = Cluster(args.path)
    if args.action == "start":
        if not cluster.is_initialized():
            print(f"initialising a new cluster in {cluster.path} ...", flush=True)
        if cluster.status() != "running":
            print("starting postgres ...", flush=True)
        cluster.start()
        print(cluster.install_extension())
        print(f"running. dsn: {cluster.dsn}")
        print(f"  export PGRATCHET_DSN='{cluster.dsn}'")
    elif args.action == "stop":
        cluster.stop("immediate" if args.immediate else "fast")
        print("stopped")
    elif args.action == "status":
        state = cluster.status()
        print(f"{state}  {cluster.path}")
        if state == "running":
            print(f"dsn: {cluster.dsn}")
        return 0 if state == "running" else 3
    else:
        if cluster.status() != "running":
            print("the cluster is not running: `pgratchet dev start`", file=sys.stderr)
            return 1
        psql = bindir() / "psql"
        os.execv(str(psql), [str(psql), cluster.dsn])  # noqa: S606 - replace this process
    return 0


def _target_dsn(args: argparse.Namespace) -> str:
    """--dsn, $PGRATCHET_DSN, $DATABASE_URL, else the embedded cluster (started if needed)."""
    dsn = args.dsn or os.environ.get("PGRATCHET_DSN") or os.environ.get("DATABASE_URL")
    if dsn:
        return str(dsn)
    cluster = Cluster(args.path)
    print(f"using the embedded cluster in {cluster.path}", flush=True)
    cluster.start()
    return cluster.dsn


def cmd_install(args: argparse.Namespace) -> int:
    print(install(_target_dsn(args), plain=args.plain))
    return 0


def cmd_upgrade(args: argparse.Namespace) -> int:
    print(upgrade(_target_dsn(args)))
    return 0


def cmd_worker(args: argparse.Namespace) -> int:
    app = load_app(args.target)
    if args.dsn:
        app = _rebind(app, args.dsn)
    queues = [q.strip() for q in args.queues.split(",") if q.strip()] if args.queues else None
    worker = app.worker(
        queues=queues,
        concurrency=args.concurrency,
        name=args.name,
        poll_interval=args.poll_interval,
        shutdown_grace=args.shutdown_grace,
        prefetch=args.prefetch,
    )
    worker.run(stop_when_idle=args.stop_when_idle)
    s = worker.stats
    log.info(
        "worker stopped: %d claimed, %d completed, %d failed, %d suspended, %d abandoned",
        s.claimed,
        s.completed,
        s.failed,
        s.suspended,
        s.abandoned,
    )
    return 0


def load_app(target: str) -> App:
    """Import ``module:attribute`` (the current directory is importable) and return the App."""
    module_name, _, attr = target.partition(":")
    if not module_name:
        raise SystemExit(f"worker target must be MODULE:APP, got {target!r}")
    cwd = str(Path.cwd())
    if cwd not in sys.path:
        sys.path.insert(0, cwd)
    module = importlib.import_module(module_name)
    if attr:
        app = getattr(module, attr)
    else:
        found = [v for v in vars(module).values() if isinstance(v, App)]
        if len(found) != 1:
            raise SystemExit(f"{module_name} has {len(found)} App objects: name one (MODULE:APP)")
        app = found[0]
    if not isinstance(app, App):
        raise SystemExit(f"{target} is a {type(app).__name__}, not a pgratchet.App")
    return app


def _rebind(app: App, dsn: str) -> App:
    """The same workflows, on another database (``--dsn`` given to ``pgratchet worker``)."""
    other = App(dsn, path=app.path)
    for wf in app.workflows.values():
        other.add_workflow(wf)
    return other


def cmd_runs(args: argparse.Namespace) -> int:
    rows = _app(args).runs(
        status=args.status, workflow=args.workflow, queue=args.queue, limit=args.limit
    )
    for row in rows:
        created, started, finished = row["created_at"], row["started_at"], row["finished_at"]
        row["took"] = (finished - (started or created)) if finished and created else None
    print(
        display.table(
            rows, ["id", "workflow", "queue", "status", "attempt", "parent", "created_at", "took"]
        )
    )
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    handle = _app(args).run(args.run)
    print(display.timeline(handle.info(), handle.history(), children=handle.children()))
    return 0


def cmd_cancel(args: argparse.Namespace) -> int:
    done = _app(args).cancel(args.run, args.reason)
    print(f"run {args.run} cancelled" if done else f"run {args.run} had already finished")
    return 0


def cmd_retry(args: argparse.Namespace) -> int:
    _app(args).retry(args.run)
    print(f"run {args.run} re-queued")
    return 0


def cmd_signal(args: argparse.Namespace) -> int:
    payload: Any = None
    if args.payload is not None:
        try:
            payload = json.loads(args.payload)
        except json.JSONDecodeError:
            payload = args.payload
    _app(args).signal(args.run, args.event, payload)
    print(f"sent {args.event!r} to run {args.run}")
    return 0


def cmd_queues(args: argparse.Namespace) -> int:
    print(display.table(_app(args).queue_stats()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
