"""Events: buffered, consumed in order, one per await, with timeouts and clear errors."""

from __future__ import annotations

import pytest

import pgratchet
from tests.support import query, run_worker_until_idle, wait_for, worker_thread


def kinds(handle: pgratchet.RunHandle) -> list[str]:
    return [e.kind for e in handle.history()]


def test_a_signal_sent_before_the_await_is_kept_and_delivered(app: pgratchet.App):
    handle = app.start("await_once")
    app.signal(handle.id, "approved", {"by": "ada"})  # the run has not even started
    run_worker_until_idle(app, queues=["events"])
    assert handle.result(timeout=1) == {"payload": {"by": "ada"}}
    history = kinds(handle)
    assert history.index("signal") < history.index("claimed")
    assert "waiting" not in history, "the event was there already: no need to wait"


def test_a_signal_sent_after_the_await_wakes_the_waiting_run(app: pgratchet.App):
    with worker_thread(app, queues=["events"]):
        handle = app.start("await_once")
        wait_for(lambda: handle.status() == "waiting", 30, "the run to wait")
        assert query(app.dsn, "select count(*) as n from ratchet.tasks") == [{"n": 0}]
        app.signal(handle.id, "approved", {"by": "grace"})
        assert handle.result(timeout=30) == {"payload": {"by": "grace"}}
    history = kinds(handle)
    assert history == [
        "created",
        "claimed",
        "step",  # prepare
        "waiting",
        "signal",
        "woken",
        "claimed",
        "completed",
    ]
    # The prepare step ran once: the resumed body replayed it from its checkpoint.
    assert history.count("step") == 1


def test_the_same_event_sent_twice_is_consumed_in_order_one_per_await(app: pgratchet.App, dsn):
    early = app.start("await_twice")
    app.signal(early.id, "n", 1)
    app.signal(early.id, "n", 2)
    app.signal(early.id, "n", 3)  # one more than awaited: stays buffered
    with worker_thread(app, queues=["events"]):
        assert early.result(timeout=30) == {"got": [1, 2]}

        late = app.start("await_twice")
        wait_for(lambda: late.status() == "waiting", 30, "the run to wait")
        app.signal(late.id, "n", "first")
        wait_for(
            lambda: [(e.kind, e.step) for e in late.history()][-1] == ("waiting", "second"),
            30,
            "the second await",
        )
        app.signal(late.id, "n", "second")
        assert late.result(timeout=30) == {"got": ["first", "second"]}
    events = query(
        dsn,
        "select payload, consumed_by from ratchet.events where run_id = %s order by id",
        (early.id,),
    )
    assert events == [
        {"payload": 1, "consumed_by": "first"},
        {"payload": 2, "consumed_by": "second"},
        {"payload": 3, "consumed_by": None},
    ]


def test_an_await_with_a_timeout_records_timed_out_when_no_event_comes(app: pgratchet.App):
    with worker_thread(app, queues=["events"], tick_interval=0.3):
        handle = app.start("await_with_timeout", {"secs": 1.0})
        wait_for(lambda: handle.status() == "waiting", 30, "the run to wait")
        assert handle.result(timeout=30) == {"timed_out": True}
    assert "timed_out" in kinds(handle)
    step = query(
        app.dsn,
        "select result from ratchet.steps where run_id = %s and name = 'approval'",
        (handle.id,),
    )
    assert step == [{"result": {"timed_out": True}}]


def test_an_event_arriving_before_the_timeout_wins(app: pgratchet.App):
    with worker_thread(app, queues=["events"], tick_interval=0.3):
        handle = app.start("await_with_timeout", {"secs": 60})
        wait_for(lambda: handle.status() == "waiting", 30, "the run to wait")
        app.signal(handle.id, "approved", "yes")
        assert handle.result(timeout=30) == {"payload": "yes"}
    assert "timed_out" not in kinds(handle)


def test_a_signal_to_a_finished_run_raises_wrong_state_and_stores_nothing(app: pgratchet.App, dsn):
    handle = app.start("ping")
    run_worker_until_idle(app, queues=["wake"])
    assert handle.status() == "completed"
    with pytest.raises(pgratchet.WrongState) as info:
        app.signal(handle.id, "late", {"x": 1})
    assert info.value.sqlstate == "RT008"
    assert "completed" in str(info.value)
    cancelled = app.start("await_once")
    assert app.cancel(cancelled.id)
    with pytest.raises(pgratchet.WrongState):
        app.signal(cancelled.id, "approved")
    assert query(dsn, "select count(*) as n from ratchet.events") == [{"n": 0}]


def test_a_signal_to_an_unknown_run_raises_unknown_run(app: pgratchet.App, dsn):
    with pytest.raises(pgratchet.UnknownRun) as info:
        app.signal(987654321, "approved")
    assert info.value.sqlstate == "RT006"
    assert "987654321" in str(info.value)
    assert query(dsn, "select count(*) as n from ratchet.events") == [{"n": 0}]
