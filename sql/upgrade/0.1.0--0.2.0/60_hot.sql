-- 0.1.0 -> 0.2.0: no index of runs names a column that a transition
-- rewrites, so every update of a run can be HOT (docs/architecture.md). The
-- two that did go: runs_retention (queue, finished_at), replaced by probes of
-- pending, tasks and waits and each slice's stored expiry (sql/16_slices.sql),
-- and runs_open_deadline (deadline, partial on finished_at IS NULL), replaced
-- by ratchet.deadlines. Runs after 11_slices.sql (which made both indexes on
-- the partitioned parent; slice 0's indexes are attached to them and go with
-- them) and 20_waits.sql.

CREATE TABLE ratchet.deadlines (
    run_id bigint PRIMARY KEY,
    deadline timestamptz NOT NULL
) WITH (
    autovacuum_vacuum_scale_factor = 0.01,
    autovacuum_vacuum_insert_scale_factor = 0.01
);

CREATE INDEX deadlines_deadline ON ratchet.deadlines (deadline);

COMMENT ON TABLE ratchet.deadlines IS
'The deadline of every unfinished run that has one.';

INSERT INTO ratchet.deadlines (run_id, deadline)
SELECT
    r.id,
    r.deadline
FROM ratchet.runs AS r
WHERE r.deadline IS NOT NULL AND r.finished_at IS NULL;

DROP INDEX ratchet.runs_retention;
DROP INDEX ratchet.runs_open_deadline;

-- Null: tick scans each closed slice once to learn them.
ALTER TABLE ratchet.slices
ADD COLUMN expires_at timestamptz,
ADD COLUMN recheck_at timestamptz;

-- Partitions of runs leave room for HOT updates (sql/16_slices.sql): 70%
-- full, where 0.1.0's runs table (now slice 0) was 80%. Pages written from
-- now on follow it.
ALTER TABLE ratchet.runs_s0 SET (fillfactor = 70);
