-- Definitions: queues, workflows and workers. Small, rarely written tables.

CREATE TABLE ratchet.queues (
    name text PRIMARY KEY CHECK (name ~ '^[a-z][a-z0-9_]{0,47}$'),
    concurrency integer CHECK (concurrency > 0),
    lease interval NOT NULL CHECK (lease > interval '0'),
    max_attempts integer NOT NULL CHECK (max_attempts >= 1),
    backoff_initial interval NOT NULL CHECK (backoff_initial >= interval '0'),
    backoff_factor double precision NOT NULL CHECK (backoff_factor >= 1),
    backoff_max interval NOT NULL,
    backoff_jitter double precision NOT NULL CHECK (backoff_jitter BETWEEN 0 AND 1),
    durability text NOT NULL CHECK (durability IN ('sync', 'async')),
    notify boolean NOT NULL,
    paused boolean NOT NULL,
    retention interval NOT NULL CHECK (retention >= interval '0'),
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    -- the most urgent priority a start may ask for (lower runs first); null: any
    -- (added in 0.2.0, hence last: an upgraded table has it in the same place)
    priority_limit smallint,
    CHECK (backoff_max >= backoff_initial)
);

COMMENT ON TABLE ratchet.queues IS
'Named lanes of work and their policy; see ratchet.create_queue().';

CREATE TABLE ratchet.workflows (
    name text PRIMARY KEY CHECK (name ~ '^[a-z][a-z0-9_]{0,47}$'),
    queue text NOT NULL REFERENCES ratchet.queues (name),
    version text NOT NULL CHECK (length(version) BETWEEN 1 AND 100),
    max_attempts integer CHECK (max_attempts >= 1),
    timeout interval CHECK (timeout > interval '0'),
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL
);

COMMENT ON TABLE ratchet.workflows IS
'Registered workflow definitions; see ratchet.register_workflow().';

CREATE TABLE ratchet.workers (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name text NOT NULL,
    queues text[] NOT NULL CHECK (cardinality(queues) > 0),
    workflows text[],
    registered_at timestamptz NOT NULL,
    last_seen_at timestamptz NOT NULL,
    deregistered_at timestamptz,
    -- the role that registered the worker: only it (or an admin) may use the id
    -- (added in 0.2.0, hence last: an upgraded table has it in the same place)
    owner regrole NOT NULL,
    CHECK (deregistered_at IS NULL OR deregistered_at >= registered_at)
);

COMMENT ON TABLE ratchet.workers IS
'Worker processes; a deregistered worker can no longer claim or heartbeat.';
