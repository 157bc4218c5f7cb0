-- 0.1.0 -> 0.2.0: a waiting run's wait moves from the runs.wait_* columns to
-- its own table, ratchet.waits (the shape of sql/install/12_waits_table.sql),
-- so every live run sits in exactly one of pending, tasks and waits. Runs
-- after 10_hardening.sql, which still reads runs.wait_runs.

CREATE TABLE ratchet.waits (
    run_id bigint PRIMARY KEY,
    -- the step that records what the run gets (an event's payload, the runs'
    -- outcomes, or a time-out)
    step text NOT NULL,
    event text,
    -- when an await_event gives up (null: never)
    timeout_at timestamptz,
    -- the awaited runs, in the order await_runs returns their outcomes; each
    -- also has a ratchet.run_waits row until the waiter resumes or ends
    runs bigint[],
    since timestamptz NOT NULL,
    CHECK ((event IS NULL) <> (runs IS NULL)),
    CHECK (timeout_at IS NULL OR event IS NOT NULL),
    CHECK (cardinality(runs) > 0)
) WITH (
    autovacuum_vacuum_scale_factor = 0.01,
    autovacuum_vacuum_insert_scale_factor = 0.01
);

-- tick() finds the awaits whose time-out has passed.
CREATE INDEX waits_timeout_at ON ratchet.waits (timeout_at)
WHERE timeout_at IS NOT NULL;

COMMENT ON TABLE ratchet.waits IS
'What each waiting run waits for: an event (with an optional time-out) or runs.';

-- Each waiting run's wait, as 0.1.0 stored it. 0.1.0 did not record when the
-- wait began: its last 'waiting' history entry says so.
INSERT INTO ratchet.waits (run_id, step, event, timeout_at, runs, since)
SELECT
    r.id AS run_id,
    r.wait_step AS step,
    r.wait_event AS event,
    r.wait_until AS timeout_at,
    r.wait_runs AS runs,
    coalesce(
        (
            SELECT max(h.at) FROM ratchet.history AS h
            WHERE h.run_id = r.id AND h.kind = 'waiting'
        ),
        r.started_at,
        r.created_at
    ) AS since
FROM ratchet.runs AS r
WHERE r.status = 'waiting';

-- Dropping the columns drops their CHECKs too; the index goes first.
DROP INDEX ratchet.runs_wait_until;
ALTER TABLE ratchet.runs
DROP COLUMN wait_step,
DROP COLUMN wait_event,
DROP COLUMN wait_until,
DROP COLUMN wait_runs;

-- The CHECKs after the dropped ones get the names a fresh install gives them.
ALTER TABLE ratchet.runs RENAME CONSTRAINT runs_check6 TO runs_check2;
ALTER TABLE ratchet.runs RENAME CONSTRAINT runs_check7 TO runs_check3;

-- A waiting run resumes and ends through helpers that take its waits row.
-- IF EXISTS: 11_slices.sql dropped it already (before runs became partitioned).
DROP FUNCTION IF EXISTS ratchet._resume(ratchet.runs, text, jsonb, timestamptz, text);
-- complete() ends its run through ratchet._end like every other end.
DROP FUNCTION ratchet._complete(ratchet.tasks, jsonb, timestamptz);
