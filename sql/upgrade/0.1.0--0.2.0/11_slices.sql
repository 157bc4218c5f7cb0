-- 0.1.0 -> 0.2.0: runs, history, steps and events become partitioned by run
-- id (sql/16_slices.sql), and the existing tables become slice 0 as they
-- are: attached, not copied. Every 0.1.0 run id is below 2^32, slice 0's
-- end. The file sorts before the code (sql/*.sql), which is re-applied after
-- it: functions that take or return a row of these tables (_resume takes a
-- ratchet.runs row, _step returns a ratchet.steps row) are dropped here and
-- made again for the new tables' row types.

DROP FUNCTION ratchet._resume(ratchet.runs, text, jsonb, timestamptz, text);
DROP FUNCTION ratchet._step(bigint, text);
-- Replaced by slice retirement (ratchet._retire_slices).
DROP FUNCTION ratchet._purge(timestamptz, integer);

-- A partitioned table cannot keep these 0.1.0 indexes as they are: a unique
-- index must contain the partition key (idempotency keys are serialised by
-- ratchet._start instead), events' key gains the run id (and makes events_run
-- redundant), and retention scans (queue, finished_at) per slice.
CREATE INDEX runs_s0_workflow_idempotency_key_idx ON ratchet.runs (workflow, idempotency_key)
WHERE idempotency_key IS NOT NULL;
DROP INDEX ratchet.runs_idempotency_key;
DROP INDEX ratchet.runs_finished_at;
CREATE INDEX runs_s0_queue_finished_at_idx ON ratchet.runs (queue, finished_at);
ALTER TABLE ratchet.events DROP CONSTRAINT events_pkey;
ALTER TABLE ratchet.events ADD CONSTRAINT events_s0_pkey PRIMARY KEY (run_id, id);
DROP INDEX ratchet.events_run;

-- The other indexes keep their data under the names a new partition's
-- indexes get. IF EXISTS: the wait columns' index may have moved already.
ALTER INDEX ratchet.runs_pkey RENAME TO runs_s0_pkey;
ALTER INDEX ratchet.runs_parent RENAME TO runs_s0_parent_idx;
ALTER INDEX ratchet.runs_open_deadline RENAME TO runs_s0_deadline_idx;
ALTER INDEX IF EXISTS ratchet.runs_wait_until RENAME TO runs_s0_wait_until_idx;
ALTER INDEX ratchet.history_pkey RENAME TO history_s0_pkey;
ALTER INDEX ratchet.steps_pkey RENAME TO steps_s0_pkey;
ALTER INDEX ratchet.events_unconsumed RENAME TO events_s0_run_id_name_id_idx;

-- Each table: keep its identity sequence's position, rename it to <table>_s0,
-- make the partitioned parent with the same columns, defaults and checks and
-- an identity of the same name, move the table comment to the parent.
DO $$
DECLARE
    v_table text;
    v_column text;
    v_key text;
    v_last bigint;
    v_called boolean;
BEGIN
    FOR v_table, v_column, v_key IN
        VALUES ('runs', 'id', 'id'), ('history', 'id', 'run_id'),
        ('steps', 'seq', 'run_id'), ('events', 'id', 'run_id')
    LOOP
        EXECUTE format('SELECT last_value, is_called FROM ratchet.%I', v_table || '_' || v_column || '_seq')
        INTO v_last, v_called;
        -- Dropping the identity drops its sequence; as a member of the
        -- extension it would leave a dangling entry in pg_dump's list.
        IF EXISTS (SELECT 1 FROM pg_catalog.pg_extension AS x WHERE x.extname = 'pgratchet') THEN
            EXECUTE format(
                'ALTER EXTENSION pgratchet DROP SEQUENCE ratchet.%I', v_table || '_' || v_column || '_seq'
            );
        END IF;
        EXECUTE format('ALTER TABLE ratchet.%I ALTER COLUMN %I DROP IDENTITY', v_table, v_column);
        EXECUTE format('ALTER TABLE ratchet.%I RENAME TO %I', v_table, v_table || '_s0');
        EXECUTE format(
            'CREATE TABLE ratchet.%I (LIKE ratchet.%I INCLUDING DEFAULTS INCLUDING CONSTRAINTS) '
            'PARTITION BY RANGE (%I)',
            v_table, v_table || '_s0', v_key
        );
        EXECUTE format(
            'ALTER TABLE ratchet.%I ALTER COLUMN %I ADD GENERATED ALWAYS AS IDENTITY',
            v_table, v_column
        );
        PERFORM pg_catalog.setval(
            format('ratchet.%I', v_table || '_' || v_column || '_seq'), v_last, v_called
        );
        EXECUTE format(
            'COMMENT ON TABLE ratchet.%I IS %L', v_table,
            pg_catalog.obj_description(format('ratchet.%I', v_table || '_s0')::regclass, 'pg_class')
        );
        EXECUTE format('COMMENT ON TABLE ratchet.%I IS NULL', v_table || '_s0');
    END LOOP;
END;
$$;

-- The parents' keys and indexes, as in sql/install/; attaching slice 0 below
-- adopts its matching indexes instead of building new ones.
ALTER TABLE ratchet.runs ADD PRIMARY KEY (id);
CREATE INDEX runs_idempotency_key ON ratchet.runs (workflow, idempotency_key)
WHERE idempotency_key IS NOT NULL;
CREATE INDEX runs_parent ON ratchet.runs (parent) WHERE parent IS NOT NULL;
CREATE INDEX runs_retention ON ratchet.runs (queue, finished_at);
CREATE INDEX runs_open_deadline ON ratchet.runs (deadline)
WHERE deadline IS NOT NULL AND finished_at IS NULL;
DO $$
BEGIN
    IF to_regclass('ratchet.runs_s0_wait_until_idx') IS NOT NULL THEN
        CREATE INDEX runs_wait_until ON ratchet.runs (wait_until) WHERE wait_until IS NOT NULL;
    END IF;
END;
$$;
ALTER TABLE ratchet.history ADD PRIMARY KEY (run_id, id);
ALTER TABLE ratchet.steps ADD PRIMARY KEY (run_id, name);
ALTER TABLE ratchet.events ADD PRIMARY KEY (run_id, id);
CREATE INDEX events_unconsumed ON ratchet.events (run_id, name, id)
WHERE consumed_at IS NULL;

-- Attaching reads each table once to check its ids lie in slice 0.
DO $$
DECLARE
    v_table text;
BEGIN
    FOREACH v_table IN ARRAY ARRAY['runs', 'history', 'steps', 'events'] LOOP
        EXECUTE format(
            'ALTER TABLE ratchet.%I ATTACH PARTITION ratchet.%I FOR VALUES FROM (0) TO (4294967296)',
            v_table, v_table || '_s0'
        );
    END LOOP;
END;
$$;

CREATE TABLE ratchet.slices (
    slice integer PRIMARY KEY CHECK (slice >= 0),
    lo bigint NOT NULL,
    hi bigint NOT NULL,
    opened_at timestamptz NOT NULL,
    CHECK (lo >= 0 AND hi > lo)
);

COMMENT ON TABLE ratchet.slices IS
'Slices of run ids [lo, hi), each with its own partitions of runs, history, steps, events.';

-- Slice 0 is open from the upgrade on: its runs of 0.1.0 leave with it.
INSERT INTO ratchet.slices (slice, lo, hi, opened_at)
VALUES (0, 0, 4294967296, clock_timestamp());

-- Readers read runs through the parent and its row policy
-- (sql/95_privileges.sql); nobody but the owner and admins reads a partition.
DROP POLICY IF EXISTS runs_readable ON ratchet.runs_s0;
ALTER TABLE ratchet.runs_s0 DISABLE ROW LEVEL SECURITY;
REVOKE ALL ON ratchet.runs_s0, ratchet.history_s0, ratchet.steps_s0, ratchet.events_s0
FROM public, ratchet_producer, ratchet_worker, ratchet_reader, ratchet_admin;
