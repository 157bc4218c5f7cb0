"""pgratchet demo: an agent pipeline survives a SIGKILLed worker.

    make demo          (or: python examples/demo.py)

1. start the pipeline on the embedded cluster (./.pgratchet) or $PGRATCHET_DSN;
2. run a worker in a subprocess and SIGKILL it while an "LLM call" is in flight;
3. start a second worker: expired leases come back, and it finishes the work without
   repeating any completed step;
4. approve the draft (an event), let it publish, print the result and the timeline.

Exits non-zero if the pipeline does not complete or a completed step ran twice.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

try:
    import psycopg  # noqa: F401
except ModuleNotFoundError:  # run by a Python without the client: use the project's venv
    VENV_PYTHON = ROOT / ".venv" / "bin" / "python"
    if VENV_PYTHON.exists() and Path(sys.prefix).resolve() != VENV_PYTHON.parent.parent.resolve():
        os.execv(str(VENV_PYTHON), [str(VENV_PYTHON), __file__, *sys.argv[1:]])  # noqa: S606
    raise

from examples import pipeline  # noqa: E402
from pgratchet import display  # noqa: E402

TIMEOUT = 90.0


def say(text: str) -> None:
    print(f"\n== {text}", flush=True)


def spawn_worker(label: str, dsn: str, log_path: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "PGRATCHET_DSN": dsn, "PGRATCHET_DEMO_LOG": str(log_path)}
    argv = [
        sys.executable,
        "-m",
        "pgratchet",
        "worker",
        "examples.pipeline:app",
        "--concurrency",
        "2",
        "--poll-interval",
        "0.5",
        "--name",
        label,
    ]
    proc = subprocess.Popen(
        argv, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )

    def relay() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            print(f"   [{label}] {line.rstrip()}", flush=True)

    threading.Thread(target=relay, daemon=True).start()
    return proc


def read_effects(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def wait_for(what: str, check: Callable[[], bool], timeout: float = TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise SystemExit(f"demo FAILED: timed out waiting for {what}")
        time.sleep(0.1)


def awaits_approval(run: Any) -> bool:
    return run.status() == "waiting" and any(
        h.kind == "waiting" and h.step == "approval" for h in run.history()
    )


def main() -> int:
    app = pipeline.app
    say("database")
    started = time.monotonic()
    if not (os.environ.get("PGRATCHET_DSN") or os.environ.get("DATABASE_URL")):
        print(
            f"starting the embedded cluster in {app.path.resolve()} (first time: ~2 s)", flush=True
        )
    dsn = app.dsn
    print(f"dsn: {dsn}")
    # A short lease so a killed worker's task comes back within seconds.
    app.create_queue(pipeline.QUEUE, lease="3 seconds", backoff={"initial": 0.2})
    app.db.execute(pipeline.PUBLICATIONS_DDL)
    app.register()

    log_path = Path(tempfile.mkdtemp(prefix="pgratchet-demo-")) / "effects.jsonl"
    os.environ["PGRATCHET_DEMO_LOG"] = str(log_path)

    say("start the pipeline")
    run = app.start(pipeline.research_pipeline, {"topic": "durable agents"})
    print(f"run {run.id} queued")

    say("worker 1 starts; we SIGKILL it in the middle of an LLM call")
    w1 = spawn_worker("worker-1", dsn, log_path)

    def llm_in_flight() -> bool:
        fx = read_effects(log_path)
        starts = Counter(e["run"] for e in fx if e["step"] == "complete" and e["event"] == "start")
        dones = Counter(e["run"] for e in fx if e["step"] == "complete" and e["event"] == "done")
        return bool(dones) and any(starts[r] > dones[r] for r in starts)

    wait_for("an LLM call to be in flight", llm_in_flight)
    w1.send_signal(signal.SIGKILL)
    w1.wait()
    print(f"   worker-1 killed (exit {w1.returncode}) with an LLM call in flight", flush=True)

    say("worker 2 starts: the lost lease expires and the work comes back")
    w2 = spawn_worker("worker-2", dsn, log_path)
    try:
        wait_for("the pipeline to wait for approval", lambda: awaits_approval(run))
        say("a human approves the draft (app.signal)")
        app.signal(run.id, "approved", {"by": "demo-reviewer"})
        result = run.result(timeout=TIMEOUT)
    finally:
        w2.send_signal(signal.SIGTERM)
        try:
            w2.wait(timeout=15)
        except subprocess.TimeoutExpired:
            w2.kill()

    say("result")
    print(json.dumps(result, indent=2))

    say("side effects (one line per execution of a step function)")
    fx = read_effects(log_path)
    for e in fx:
        print(f"   run {e['run']:>4}  {e['step']:<9} {e['event']:<6} pid {e['pid']}")
    done = Counter((e["run"], e["step"]) for e in fx if e["event"] == "done")
    repeated = {k: n for k, n in done.items() if n > 1}
    restarted = [
        k
        for k, n in Counter((e["run"], e["step"]) for e in fx if e["event"] == "start").items()
        if n > 1
    ]
    published = app.db.value(
        "select count(*) from public.demo_publications where run = %s", (run.id,)
    )

    say(f"timeline of run {run.id} (same as `pgratchet show {run.id}`)")
    print(display.timeline(run.info(), run.history(), children=run.children()))

    say("verdict")
    ok = True
    if repeated:
        print(f"FAIL: completed steps ran twice: {repeated}")
        ok = False
    if published != 1:
        print(f"FAIL: expected exactly one publication row, found {published}")
        ok = False
    if run.status() != "completed":
        print(f"FAIL: run ended {run.status()}")
        ok = False
    if ok:
        print(
            f"OK: completed in {time.monotonic() - started:.1f}s; {len(done)} steps ran to "
            f"completion exactly once; {len(restarted)} interrupted LLM call(s) re-ran on "
            "worker-2; one publication row."
        )
    app.close()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
