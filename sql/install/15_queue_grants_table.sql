-- Per-queue rights of a role; queue '*' means every queue, present or future.
CREATE TABLE ratchet.queue_grants (
    queue text NOT NULL CHECK (queue = '*' OR queue ~ '^[a-z][a-z0-9_]{0,47}$'),
    role regrole NOT NULL,
    rights text[] NOT NULL CHECK (
        cardinality(rights) > 0
        AND rights <@ ARRAY['produce', 'work', 'read', 'manage']::text[]
    ),
    granted_at timestamptz NOT NULL,
    PRIMARY KEY (queue, role)
);

COMMENT ON TABLE ratchet.queue_grants IS
'Per-queue rights (produce, work, read, manage) of roles; see ratchet.grant_queue().';
