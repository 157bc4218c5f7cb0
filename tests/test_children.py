"""Child runs: fan-out, fan-in done by the database, and cancel cascading to children."""

from __future__ import annotations

import pytest

import pgratchet
from tests.support import check_no_overlapping_holds, query, wait_for, worker_thread


def test_a_parent_with_50_children_resumes_once_after_the_last_child_with_all_results(
    app: pgratchet.App, dsn: str
):
    with worker_thread(app, queues=["fan"], concurrency=8):
        parent = app.start("fan_parent", {"n": 50, "pause": 0.2})
        output = parent.result(timeout=120)
    assert output["results"] == [{"i": i, "square": i * i} for i in range(50)]

    children = query(
        dsn,
        "select id, status, finished_at, parent_step from ratchet.runs where parent = %s",
        (parent.id,),
    )
    assert len(children) == 50
    assert {c["status"] for c in children} == {"completed"}
    assert sorted(c["parent_step"] for c in children) == sorted(f"kids[{i}]" for i in range(50))
    last_child = max(c["finished_at"] for c in children)

    history = parent.history()
    woken = [e for e in history if e.kind == "woken"]
    claims = [e for e in history if e.kind == "claimed"]
    assert len(woken) == 1, f"the parent should resume once, got {[e.kind for e in history]}"
    assert woken[0].step == "kids"
    assert len(claims) == 2, "one claim to fan out, one to resume"
    assert woken[0].at >= last_child
    assert claims[1].at >= last_child
    # The code after the fan-in ran once.
    after = query(dsn, "select count(*) as n from public.test_effects where run = %s", (parent.id,))
    assert after == [{"n": 1}]
    check_no_overlapping_holds(dsn)


def test_cancelling_a_parent_cancels_its_children(app: pgratchet.App, dsn: str):
    with worker_thread(app, queues=["fan"], concurrency=4):
        parent = app.start("waiting_parent", {"n": 5})

        def all_waiting() -> bool:
            kids = query(dsn, "select status from ratchet.runs where parent = %s", (parent.id,))
            return (
                len(kids) == 5
                and {k["status"] for k in kids} == {"waiting"}
                and parent.status() == "waiting"
            )

        wait_for(all_waiting, 60, "the parent and its 5 children to wait")
        assert app.cancel(parent.id, reason="no longer needed") is True
        statuses = query(
            dsn,
            "select status, count(*) as n from ratchet.runs where parent = %s group by 1",
            (parent.id,),
        )
        assert statuses == [{"status": "cancelled", "n": 5}]
        assert parent.status() == "cancelled"
        try:
            parent.result(timeout=1)
        except pgratchet.RunCancelled as exc:
            assert "no longer needed" in str(exc)
        else:
            raise AssertionError("result() of a cancelled run should raise RunCancelled")
        # Cancelling again changes nothing and says so.
        assert app.cancel(parent.id) is False
    for table in ("ratchet.pending", "ratchet.tasks", "ratchet.run_waits"):
        assert query(dsn, f"select count(*) as n from {table}") == [{"n": 0}], table


def test_cancelling_a_running_run_fences_its_worker_at_the_next_call(app: pgratchet.App, dsn):
    with worker_thread(app, queues=["crashy"], concurrency=1) as worker:
        handle = app.start("five_steps", {"pause": 0.5})
        wait_for(
            lambda: query(dsn, "select 1 from public.test_effects where run = %s", (handle.id,)),
            30,
            "the first step to start",
        )
        assert app.cancel(handle.id)
        wait_for(lambda: worker.stats.abandoned == 1, 30, "the worker to give the run up")
    assert handle.status() == "cancelled"
    steps = query(dsn, "select count(*) as n from public.test_effects where run = %s", (handle.id,))
    assert steps[0]["n"] <= 2, "the body should stop at its next engine call"
    assert [e.kind for e in handle.history()][-1] == "cancelled"


def test_await_runs_counts_a_failed_child_as_finished_and_reports_each_status(app, dsn):
    with worker_thread(app, queues=["fan"], concurrency=4):
        parent = app.start("collect_statuses", {"n": 3})
        output = parent.result(timeout=60)
    assert output["statuses"] == ["completed", "failed", "completed"]
    assert output["outputs"] == [{"i": 0}, None, {"i": 2}]
    kids = query(dsn, "select id from ratchet.runs where parent = %s order by id", (parent.id,))
    assert output["runs"] == [k["id"] for k in kids]


def test_gather_fails_the_parent_when_a_child_failed(app, dsn):
    with worker_thread(app, queues=["fan"], concurrency=4):
        parent = app.start("gather_picky", {"n": 3})
        with pytest.raises(pgratchet.RunFailed) as info:
            parent.result(timeout=60)
    cause = info.value.error["cause"]
    assert cause["type"] == "ChildRunFailed"
    assert [c["status"] for c in cause["children"]] == ["failed"]
    assert parent.info()["attempt"] == 1, "a failed child is not a reason to retry the parent"
