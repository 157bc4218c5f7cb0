-- What a run has done: its audit trail, step checkpoints, events, and the
-- runs it waits for. History, steps and events are partitioned by run id with
-- the same bounds as ratchet.runs (sql/16_slices.sql): a slice of runs leaves
-- with its journal in one DROP.

CREATE TABLE ratchet.history (
    id bigint GENERATED ALWAYS AS IDENTITY,
    run_id bigint NOT NULL,
    at timestamptz NOT NULL,
    kind text NOT NULL CHECK (
        kind IN (
            'created', 'claimed', 'step', 'sleeping', 'waiting', 'signal',
            'woken', 'timed_out', 'retrying', 'lease_expired', 'failed',
            'completed', 'cancelled', 'retried', 'handed_back', 'child_started'
        )
    ),
    step text,
    detail jsonb,
    PRIMARY KEY (run_id, id)
) PARTITION BY RANGE (run_id);

COMMENT ON TABLE ratchet.history IS
'The audit trail: one row per transition, written in the same transaction.';

-- A checkpoint (run, step name) -> result, written exactly once.
CREATE TABLE ratchet.steps (
    run_id bigint NOT NULL,
    name text NOT NULL,
    kind text NOT NULL CHECK (
        kind IN ('step', 'sleep', 'event', 'child', 'await_runs')
    ),
    result jsonb,
    seq bigint GENERATED ALWAYS AS IDENTITY,
    created_at timestamptz NOT NULL,
    PRIMARY KEY (run_id, name)
) PARTITION BY RANGE (run_id);

COMMENT ON TABLE ratchet.steps IS
'Step checkpoints; the first writer wins, later writers get this result.';

-- Events are stored first and matched later, so none is lost.
CREATE TABLE ratchet.events (
    id bigint GENERATED ALWAYS AS IDENTITY,
    run_id bigint NOT NULL,
    name text NOT NULL,
    payload jsonb,
    sent_at timestamptz NOT NULL,
    consumed_by text,
    consumed_at timestamptz,
    CHECK ((consumed_by IS NULL) = (consumed_at IS NULL)),
    -- the run first: a partitioned table's key must contain the partition key
    PRIMARY KEY (run_id, id)
) PARTITION BY RANGE (run_id);

CREATE INDEX events_unconsumed ON ratchet.events (run_id, name, id)
WHERE consumed_at IS NULL;

-- Every run a waiting run awaits, finished or not, until the waiter resumes or
-- ends: the last awaited run to finish wakes it, and _purge keeps an awaited
-- run (and so its outcome) while a row names it.
CREATE TABLE ratchet.run_waits (
    awaited bigint NOT NULL,
    waiter bigint NOT NULL,
    PRIMARY KEY (awaited, waiter)
);

CREATE INDEX run_waits_waiter ON ratchet.run_waits (waiter);
