"""Retention by slices against a real server: tick never waits behind a session that holds a
slice, and the slice still leaves once that session lets go."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

import psycopg

from tests.conftest import bind_app
from tests.support import fake_clock_dsn, run_worker_until_idle, scalar


def test_tick_skips_a_slice_that_a_session_holds_and_drops_it_later(app, dsn):
    app.create_queue("wake", retention="1 hour")
    done = app.start("ping")
    run_worker_until_idle(app, queues=["wake"])
    assert done.status() == "completed"
    slice_of_run = scalar(
        dsn, "select slice from ratchet.slices where %s between lo and hi - 1", (done.id,)
    )
    now = datetime.now(UTC)
    # Two days on, past the slice interval (a quarter of the default queue's 7 days): the
    # slice of the run is closed, and its run is past retention the day after.
    closing = bind_app(fake_clock_dsn(dsn, now + timedelta(days=2)))
    closing.tick()
    closing.close()
    assert scalar(dsn, "select max(slice) from ratchet.slices") > slice_of_run

    later = bind_app(fake_clock_dsn(dsn, now + timedelta(days=3)))
    with psycopg.connect(dsn) as reader:
        # A long reader of the slice (a report, pg_dump) holds a lock on its partition.
        reader.execute(f"select count(*) from ratchet.runs_s{slice_of_run}")
        began = time.monotonic()
        result = later.tick()
        waited = time.monotonic() - began
        assert result["purged"] == 0
        # lock_timeout (100 ms) bounds the wait: tick goes on, and so does everyone queued
        # behind its lock request.
        assert waited < 5, f"tick waited {waited:.1f} s behind the reader"
        assert scalar(dsn, "select to_regclass(%s) is not null", (f"ratchet.runs_s{slice_of_run}",))
        reader.rollback()
    assert later.tick()["purged"] == 1
    assert scalar(dsn, "select to_regclass(%s) is null", (f"ratchet.runs_s{slice_of_run}",))
    later.close()


def test_concurrent_starts_with_one_idempotency_key_make_one_run(app, dsn):
    # runs is partitioned, so no unique index refuses a second run with the key: the starts
    # take turns on an advisory lock instead. Without it, several of these would each insert.
    app.register()
    starters = 8
    barrier = threading.Barrier(starters)
    ids: list[int] = []

    def start() -> None:
        with psycopg.connect(dsn, autocommit=True) as conn:
            barrier.wait()
            row = conn.execute(
                "select ratchet.start('ping', '{}', '{\"idempotency_key\": \"once\"}')"
            ).fetchone()
            assert row is not None
            ids.append(row[0])

    threads = [threading.Thread(target=start) for _ in range(starters)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(ids) == starters
    assert len(set(ids)) == 1
    assert scalar(dsn, "select count(*) from ratchet.runs") == 1
