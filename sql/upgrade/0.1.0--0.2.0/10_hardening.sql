-- 0.1.0 -> 0.2.0, state changed by the hardening release (issue 7): the
-- settings and per-queue rights tables, the owner of each worker, a queue's
-- priority limit, the per-workflow claim index, and run_waits rows that now
-- stay until the waiter resumes. The code (sql/*.sql) is re-applied after.

CREATE TABLE ratchet.settings (
    name text PRIMARY KEY CHECK (
        name IN ('max_payload_bytes', 'max_buffered_events', 'fake_clock')
    ),
    value jsonb NOT NULL,
    updated_at timestamptz NOT NULL
);

COMMENT ON TABLE ratchet.settings IS
'Engine settings changed from their defaults; see ratchet.configure().';

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

ALTER TABLE ratchet.queues ADD COLUMN priority_limit smallint;

-- 0.1.0 did not record who registered a worker. Its workers become the
-- schema owner's: an admin's, so their ids keep working for the roles 0.1.0
-- let use them only once those roles are admins; others register again.
ALTER TABLE ratchet.workers ADD COLUMN owner regrole;
UPDATE ratchet.workers AS w SET owner = n.nspowner::regrole
FROM pg_catalog.pg_namespace AS n
WHERE n.nspname = 'ratchet';
ALTER TABLE ratchet.workers ALTER COLUMN owner SET NOT NULL;

CREATE INDEX pending_claim_by_workflow
ON ratchet.pending (queue, workflow, priority, due_at, run_id);

-- 0.1.0 deleted a run_waits row when the awaited run finished; 0.2.0 keeps
-- every row until the waiter resumes (so purge keeps the awaited outcome).
-- Restore the rows of finished runs that a waiting run still awaits.
INSERT INTO ratchet.run_waits (awaited, waiter)
SELECT
    a.awaited,
    r.id
FROM ratchet.runs AS r
CROSS JOIN LATERAL unnest(r.wait_runs) AS a (awaited)
WHERE r.status = 'waiting' AND r.wait_runs IS NOT NULL
ON CONFLICT DO NOTHING;

-- Replaced by bounded duration checks (ratchet._check_duration).
DROP FUNCTION ratchet._opt_interval(text, jsonb);
