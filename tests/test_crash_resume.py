"""Crash and resume: worker processes SIGKILLed at random while runs are in flight.

Every run must complete, every step must be recorded exactly once, and no step may run
again once its checkpoint exists (side effects are compared with checkpoint times).
"""

from __future__ import annotations

import time

import pgratchet
from tests.support import (
    Killer,
    WorkerProcesses,
    all_finished,
    check_no_overlapping_holds,
    count_runs_by_status,
    query,
    wait_for,
)

RUNS = 200
CRASHY_QUEUE = {
    "lease": 2,
    "max_attempts": 1000,  # every lost lease counts as a failure; the killer causes many
    "backoff": {"initial": 0.1, "factor": 2, "max": 1, "jitter": 0.2},
}


def run_under_killer(
    app: pgratchet.App, dsn: str, workers: WorkerProcesses, workflow: str, queue: str
) -> tuple[list[int], Killer, float]:
    app.create_queue(queue, **CRASHY_QUEUE)
    app.register()
    ids = [h.id for h in app.start_many(workflow, [{"pause": 0.05}] * RUNS)]
    options = {"concurrency": 4, "queues": [queue], "poll_interval": 0.2}
    started = time.monotonic()
    for _ in range(3):
        workers.start(**options)
    with Killer(workers, interval=0.5, **options) as killer:
        wait_for(lambda: all_finished(dsn, ids), 300, f"{RUNS} runs to finish", interval=0.3)
    assert killer.error is None, killer.error
    return ids, killer, time.monotonic() - started


def recovery_counts(dsn: str, ids: list[int]) -> dict[str, int]:
    return query(
        dsn,
        "select count(*) filter (where kind = 'lease_expired') as leases_lost,"
        " count(*) filter (where kind = 'claimed') as claims,"
        " count(distinct run_id) filter (where kind = 'lease_expired') as runs_hit"
        " from ratchet.history where run_id = any(%s)",
        (ids,),
    )[0]


def test_200_five_step_runs_complete_with_workers_sigkilled_every_half_second(
    app: pgratchet.App, dsn: str, workers: WorkerProcesses
):
    ids, killer, elapsed = run_under_killer(app, dsn, workers, "five_steps", "crashy")
    assert count_runs_by_status(dsn, ids) == {"completed": RUNS}

    # Every step has exactly one checkpoint, in order, and one history entry.
    recorded = query(
        dsn,
        "select run_id, array_agg(name order by seq) as names from ratchet.steps"
        " where run_id = any(%s) group by run_id",
        (ids,),
    )
    assert len(recorded) == RUNS
    assert all(r["names"] == ["s1", "s2", "s3", "s4", "s5"] for r in recorded)
    logged = query(
        dsn,
        "select run_id, step, count(*) as n from ratchet.history where kind = 'step'"
        " and run_id = any(%s) group by 1, 2 having count(*) <> 1",
        (ids,),
    )
    assert not logged, f"steps logged more than once: {logged[:10]}"

    # No step ran again after its checkpoint existed.
    late = query(
        dsn,
        "select e.run, e.step, e.attempt, e.at, s.created_at from public.test_effects as e"
        " join ratchet.steps as s on s.run_id = e.run and s.name = e.step"
        " where e.at > s.created_at",
    )
    assert not late, f"steps that ran after their checkpoint: {late[:10]}"
    missing = query(
        dsn,
        "select s.run_id, s.name from ratchet.steps as s where s.run_id = any(%s) and not exists"
        " (select 1 from public.test_effects as e where e.run = s.run_id and e.step = s.name)",
        (ids,),
    )
    assert not missing, "every checkpoint comes from a step body that ran"

    check_no_overlapping_holds(dsn, ids)
    counts = recovery_counts(dsn, ids)
    reran = query(
        dsn,
        "select count(*) as n from (select 1 from public.test_effects"
        " group by run, step having count(*) > 1) as x",
    )[0]["n"]
    print(
        f"\ncrash test: {RUNS} runs x 5 steps in {elapsed:.1f}s, {killer.kills} SIGKILLs,"
        f" {counts['leases_lost']} leases lost over {counts['runs_hit']} runs,"
        f" {counts['claims']} claims, {reran} steps re-run before their checkpoint existed"
    )
    assert killer.kills >= 3
    assert counts["leases_lost"] > 0, "the killer never hit a run in flight: nothing was tested"


def test_transactional_steps_leave_exactly_one_row_per_run_under_the_killer(
    app: pgratchet.App, dsn: str, workers: WorkerProcesses
):
    ids, killer, elapsed = run_under_killer(app, dsn, workers, "tx_steps", "crashy_tx")
    assert count_runs_by_status(dsn, ids) == {"completed": RUNS}
    rows = query(
        dsn,
        "select r.id, count(t.id) as n from ratchet.runs as r"
        " left join public.test_tx_rows as t on t.run = r.id where r.id = any(%s) group by r.id",
        (ids,),
    )
    wrong = [r for r in rows if r["n"] != 1]
    assert not wrong, f"runs without exactly one transactional row: {wrong[:10]}"
    outputs = query(
        dsn,
        "select count(*) as n from ratchet.runs"
        " where id = any(%s) and output->>'inserted' = id::text",
        (ids,),
    )
    assert outputs == [{"n": RUNS}]
    rolled_back = (
        query(
            dsn,
            "select count(*) as n from public.test_effects where step = 'insert_row'",
        )[0]["n"]
        - RUNS
    )
    counts = recovery_counts(dsn, ids)
    print(
        f"\ntransactional crash test: {RUNS} runs in {elapsed:.1f}s, {killer.kills} SIGKILLs,"
        f" {counts['leases_lost']} leases lost, {rolled_back} transactional steps"
        " interrupted and rolled back"
    )
    assert killer.kills >= 3
    assert counts["leases_lost"] > 0, "the killer never hit a run in flight: nothing was tested"
    check_no_overlapping_holds(dsn, ids)
