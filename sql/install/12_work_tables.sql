-- The hot path: ready work waiting for a claim, and tasks held by workers.
-- Rows are inserted and deleted, never left behind, so both stay small.

-- A queued run (due now or later) or a sleeping run (due at its wake time).
CREATE TABLE ratchet.pending (
    run_id bigint PRIMARY KEY,
    queue text NOT NULL,
    workflow text NOT NULL,
    priority smallint NOT NULL,
    due_at timestamptz NOT NULL
) WITH (
    fillfactor = 90,
    autovacuum_vacuum_scale_factor = 0.01,
    autovacuum_vacuum_insert_scale_factor = 0.01,
    autovacuum_vacuum_cost_delay = 0
);

-- Claim walks the priority levels present in a queue and, at each level, the
-- rows due by now in due order: rows not yet due or at other levels are
-- never scanned.
CREATE INDEX pending_claim_order ON ratchet.pending (queue, priority, due_at, run_id);

-- The same per workflow, for workers limited to some workflows: without it
-- such a worker reads past every due row of the other workflows. One more
-- index entry per pending row is the price.
CREATE INDEX pending_claim_by_workflow
ON ratchet.pending (queue, workflow, priority, due_at, run_id);

COMMENT ON TABLE ratchet.pending IS
'Runs waiting to be claimed, in claim order per queue.';

-- The task id is the fencing token: a worker call names it, and it is held
-- only while its row exists and its lease has not expired.
CREATE SEQUENCE ratchet.task_ids AS bigint;

CREATE TABLE ratchet.tasks (
    id bigint PRIMARY KEY,
    run_id bigint NOT NULL UNIQUE,
    worker_id bigint NOT NULL,
    queue text NOT NULL,
    deadline timestamptz,
    claimed_at timestamptz NOT NULL,
    lease_expires_at timestamptz NOT NULL,
    CHECK (lease_expires_at > claimed_at)
) WITH (
    fillfactor = 70,
    autovacuum_vacuum_scale_factor = 0.01,
    autovacuum_vacuum_insert_scale_factor = 0.01,
    autovacuum_vacuum_cost_delay = 0
);

CREATE INDEX tasks_worker ON ratchet.tasks (worker_id);

CREATE INDEX tasks_queue ON ratchet.tasks (queue);

-- Every claim looks for expired leases; this keeps that a short range scan.
-- Heartbeats rewrite the column, but a heartbeat is rare next to a claim.
CREATE INDEX tasks_lease ON ratchet.tasks (lease_expires_at);

COMMENT ON TABLE ratchet.tasks IS
'Tasks held by workers: the fencing token and its lease.';

-- Tasks ended by someone other than their worker (cancel, deadline), so the
-- worker's next call can say why (RT002 for a cancelled run).
CREATE TABLE ratchet.fenced_tasks (
    task_id bigint PRIMARY KEY,
    run_id bigint NOT NULL,
    code text NOT NULL CHECK (code IN ('RT001', 'RT002')),
    reason text NOT NULL,
    fenced_at timestamptz NOT NULL
);

CREATE INDEX fenced_tasks_run ON ratchet.fenced_tasks (run_id);

-- The deadline of each unfinished run that has one, for tick to find the
-- runs past it with a range scan. Kept apart from ratchet.runs so that no
-- index of runs names finished_at or deadline (a run's end stays a HOT
-- update). Inserted with the run (or by retry), deleted by its end
-- (ratchet._end, complete_many); runs without a deadline have no row.
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
