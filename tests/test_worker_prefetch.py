"""The worker's automatic prefetch: short bodies are claimed ahead in batches, long bodies
are not, and a graceful stop hands prefetched tasks back. Observed from ``ratchet.tasks``
(what the worker holds) and the history, not from the worker's internals."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from itertools import pairwise

import pgratchet
from tests.support import (
    check_no_overlapping_holds,
    count_runs_by_status,
    query,
    run_worker_until_idle,
    scalar,
    wait_for,
    worker_thread,
)


def add_pause_workflow(app: pgratchet.App) -> None:
    @app.workflow(queue="prefetch")
    def pause(ctx: pgratchet.Context, secs: float) -> dict:
        time.sleep(secs)
        return {"slept": secs}

    app.register()


@contextmanager
def most_held(dsn: str) -> Iterator[list[int]]:
    """Samples every 5 ms the most tasks one worker holds; the list holds the maximum."""
    seen = [0]
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            n = scalar(
                dsn,
                "select coalesce(max(n), 0) from"
                " (select count(*) as n from ratchet.tasks group by worker_id) as w",
            )
            seen[0] = max(seen[0], n)
            done.wait(0.005)

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    try:
        yield seen
    finally:
        done.set()
        thread.join(5)


def claims_and_completions(dsn: str) -> set[tuple[int, int]]:
    rows = query(
        dsn,
        """
        select count(*) filter (where kind = 'claimed') as claims,
               count(*) filter (where kind = 'completed') as completions
          from ratchet.history group by run_id
        """,
    )
    return {(r["claims"], r["completions"]) for r in rows}


def test_short_bodies_are_claimed_ahead_of_the_threads(app: pgratchet.App, dsn: str):
    add_pause_workflow(app)
    app.start_many("pause", [{"secs": 0.001}] * 400)
    with most_held(dsn) as held:
        worker = run_worker_until_idle(app, concurrency=1)
    assert worker.stats.completed == 400
    assert count_runs_by_status(dsn) == {"completed": 400}
    assert claims_and_completions(dsn) == {(1, 1)}
    # One thread, yet the worker held many tasks at once: they came in batches.
    assert held[0] > 8


def test_long_bodies_are_not_claimed_ahead(app: pgratchet.App, dsn: str):
    add_pause_workflow(app)
    app.start_many("pause", [{"secs": 0.4}] * 4)
    with most_held(dsn) as held:
        run_worker_until_idle(app, concurrency=1)
    assert count_runs_by_status(dsn) == {"completed": 4}
    # Another worker could have run the rest meanwhile: nothing waited for this one. Each
    # claim came after the previous body had run (a finished task may still be held for
    # the moment its completion takes to commit, hence at most two held at once).
    claimed = [
        r["at"]
        for r in query(dsn, "select at from ratchet.history where kind = 'claimed' order by at")
    ]
    assert len(claimed) == 4
    gaps = [(b - a).total_seconds() for a, b in pairwise(claimed)]
    assert min(gaps) >= 0.35, gaps
    assert held[0] <= 2


def test_a_graceful_stop_hands_prefetched_tasks_back_and_reports_only_committed_work(
    app: pgratchet.App, dsn: str
):
    add_pause_workflow(app)
    runs = 600
    ids = [h.id for h in app.start_many("pause", [{"secs": 0.002}] * runs)]
    with most_held(dsn) as held, worker_thread(app, concurrency=1) as worker:
        wait_for(lambda: held[0] > 8, 30, "the worker to claim ahead")
    stopped = worker.stats
    # Nothing is held any more: the prefetched tasks were handed back at once.
    assert scalar(dsn, "select count(*) from ratchet.tasks") == 0
    done = count_runs_by_status(dsn).get("completed", 0)
    assert count_runs_by_status(dsn) == {"completed": done, "queued": runs - done}
    assert 0 < done < runs
    # Every completion the worker counted was committed before the worker counted it.
    assert stopped.completed == done

    second = run_worker_until_idle(app, concurrency=4)
    assert second.stats.completed == runs - done
    assert count_runs_by_status(dsn) == {"completed": runs}
    assert claims_and_completions(dsn) <= {(1, 1), (2, 1)}
    check_no_overlapping_holds(dsn, ids)
