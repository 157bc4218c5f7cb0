-- One row per run, from creation until purge. Claims never scan this table:
-- ready work lives in ratchet.pending, held work in ratchet.tasks.
-- Partitioned by id into slices (sql/16_slices.sql), so finished runs leave
-- by DROP TABLE; each partition sets its own fillfactor (70).
CREATE TABLE ratchet.runs (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    workflow text NOT NULL,
    version text NOT NULL,
    queue text NOT NULL,
    status text NOT NULL CHECK (
        status IN (
            'queued', 'running', 'sleeping', 'waiting',
            'completed', 'failed', 'cancelled'
        )
    ),
    input jsonb NOT NULL CHECK (jsonb_typeof(input) = 'object'),
    output jsonb,
    error jsonb,
    attempt integer NOT NULL CHECK (attempt >= 1),
    priority smallint NOT NULL,
    parent bigint,
    parent_step text,
    tags jsonb NOT NULL CHECK (jsonb_typeof(tags) = 'object'),
    idempotency_key text,
    max_attempts integer CHECK (max_attempts >= 1),
    deadline timestamptz,
    -- failures per step ('' = the body): the attempt limit counts these
    failures jsonb NOT NULL DEFAULT '{}',
    created_at timestamptz NOT NULL,
    started_at timestamptz,
    finished_at timestamptz,
    CHECK ((status IN ('completed', 'failed', 'cancelled')) = (finished_at IS NOT NULL)),
    CHECK (output IS NULL OR status = 'completed'),
    CHECK ((parent IS NULL) = (parent_step IS NULL)),
    CHECK (started_at IS NULL OR started_at >= created_at)
) PARTITION BY RANGE (id);

COMMENT ON TABLE ratchet.runs IS
'Every run kept within its queue''s retention: status, input, output, error.';

-- No index names a column that a transition rewrites (status, attempt,
-- started_at, finished_at, output, error, failures, deadline), as a key or in
-- a predicate: then every update of a run can be HOT (no index entries, only
-- the new row version on the same page; docs/architecture.md). Retention
-- finds live runs in pending, tasks and waits and stores each slice's expiry
-- (ratchet.slices); deadlines live in ratchet.deadlines.
-- Not unique: a unique index of a partitioned table must contain the
-- partition key. ratchet._start serialises starts per key instead.
CREATE INDEX runs_idempotency_key ON ratchet.runs (workflow, idempotency_key)
WHERE idempotency_key IS NOT NULL;

CREATE INDEX runs_parent ON ratchet.runs (parent) WHERE parent IS NOT NULL;
