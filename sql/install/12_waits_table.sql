-- The third place a live run can be: besides ready (ratchet.pending) and held
-- (ratchet.tasks), waiting for an event or for other runs to finish. Every
-- unfinished run has exactly one row in one of the three, the one its status
-- names (see ratchet.check_invariants). Rows are inserted when a held run
-- suspends and deleted when it resumes or ends, never updated.
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
