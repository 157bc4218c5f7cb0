"""Replay: resumed runs re-walk their checkpoints, and code that no longer matches the
recorded steps is refused with an error naming both."""

from __future__ import annotations

import pytest

import pgratchet
from tests.support import run_worker_until_idle


def evolving_app(dsn: str, second_step: str, calls: list[str]) -> pgratchet.App:
    """The workflow ``evolving``, whose second step name is a parameter (a code change)."""
    app = pgratchet.App(dsn)

    def note(name: str) -> dict:
        calls.append(name)
        return {"done": name}

    @app.workflow(name="evolving", queue="evolve")
    def evolving(ctx: pgratchet.Context) -> dict:
        ctx.step("fetch", note, "fetch")
        ctx.step(second_step, note, second_step)
        go = ctx.await_event("wait_go", "go")
        ctx.step("publish", note, "publish")
        return {"go": go}

    return app


def test_a_resumed_run_replays_completed_steps_without_running_them_again(dsn):
    calls: list[str] = []
    app = evolving_app(dsn, "summarise", calls)
    handle = app.start("evolving")
    run_worker_until_idle(app, queues=["evolve"])
    assert handle.status() == "waiting"
    assert calls == ["fetch", "summarise"]
    app.signal(handle.id, "go", 1)
    run_worker_until_idle(app, queues=["evolve"])
    assert handle.result(timeout=1) == {"go": 1}
    assert calls == ["fetch", "summarise", "publish"]
    app.close()


def test_renaming_a_step_under_a_half_finished_run_raises_non_determinism_naming_both(dsn):
    old_calls: list[str] = []
    old = evolving_app(dsn, "summarise", old_calls)
    handle = old.start("evolving")
    run_worker_until_idle(old, queues=["evolve"])
    assert handle.status() == "waiting"
    old.close()

    new_calls: list[str] = []
    new = evolving_app(dsn, "summarize", new_calls)  # the deploy renamed the step
    new.signal(handle.id, "go", 1)
    run_worker_until_idle(new, queues=["evolve"])
    assert new_calls == [], "no step may run once the replay has diverged"
    assert handle.status() == "failed"
    with pytest.raises(pgratchet.RunFailed) as info:
        handle.result(timeout=1)
    error = info.value.error
    assert error["type"] == "NonDeterminismError"
    assert "'summarise'" in error["message"] and "'summarize'" in error["message"]
    assert handle.info()["attempt"] == 1, "a non-deterministic replay is not retried"
    new.close()
