-- Retention by slices. Runs, history, steps and events are partitioned by run
-- id with the same bounds: slice k holds the run ids [k * 2^32, (k+1) * 2^32)
-- and its partitions are runs_s<k>, history_s<k>, steps_s<k>, events_s<k>.
-- The newest slice is open. Once it is older than the slice interval, tick
-- opens the next one and restarts the run id sequence at its first id, so
-- new runs land there at once. A closed slice whose runs are all finished
-- and past their queue's retention (and awaited by no waiting run) leaves
-- by DROP TABLE; one that still keeps a few runs is compacted in place:
-- those runs' rows are copied out, the partitions truncated, the rows put
-- back with the same ids. Neither touches the rest of the slice row by row.
-- See docs/architecture.md (design) and docs/operations.md (granularity).

-- Creates slice n's four partitions and its row. The partitions are made
-- apart and then attached: ATTACH locks the parent in SHARE UPDATE EXCLUSIVE
-- mode only, so runs keep flowing (CREATE TABLE ... PARTITION OF would take
-- ACCESS EXCLUSIVE on the parent).
CREATE OR REPLACE FUNCTION ratchet._create_slice(slice integer, opened_at timestamptz)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    v_lo constant bigint := _create_slice.slice::bigint * 4294967296;
    v_table text;
    v_part text;
BEGIN
    FOREACH v_table IN ARRAY ARRAY['runs', 'history', 'steps', 'events'] LOOP
        v_part := v_table || '_s' || _create_slice.slice;
        EXECUTE format(
            'CREATE TABLE ratchet.%I (LIKE ratchet.%I INCLUDING DEFAULTS INCLUDING CONSTRAINTS)%s',
            v_part, v_table,
            -- room for HOT updates of the run row at each transition
            CASE v_table WHEN 'runs' THEN ' WITH (fillfactor = 80)' ELSE '' END
        );
        EXECUTE format(
            'ALTER TABLE ratchet.%I ATTACH PARTITION ratchet.%I FOR VALUES FROM (%s) TO (%s)',
            v_table, v_part, v_lo, v_lo + 4294967296
        );
        -- Like every engine table (sql/95_privileges.sql): readers go through
        -- the parent, whose row policy a partition read directly would skip.
        EXECUTE format('GRANT SELECT ON ratchet.%I TO ratchet_admin', v_part);
    END LOOP;
    INSERT INTO ratchet.slices (slice, lo, hi, opened_at)
    VALUES (_create_slice.slice, v_lo, v_lo + 4294967296, _create_slice.opened_at);
END;
$$;

-- How long a slice stays open: a quarter of the longest queue retention, at
-- least an hour. A slice leaves about one interval after its last run's
-- retention, so five or six slices are live at a time, whatever the
-- retention (each partition costs every statement on the table a lock).
-- Ids: at most one slice an hour keeps them below 2^53 for 239 years.
CREATE OR REPLACE FUNCTION ratchet._slice_interval()
RETURNS interval
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
BEGIN
    RETURN greatest(
        interval '1 hour',
        (SELECT max(q.retention) FROM ratchet.queues AS q) / 4
    );
END;
$$;

-- Opens the next slice when the open one is older than the slice interval
-- and holds at least one run. The restart of the run id sequence is
-- transactional: it blocks starts (nextval) until this transaction ends, so
-- tick does it last, and a rollback undoes the partitions and the restart
-- together. Returns whether it rotated.
CREATE OR REPLACE FUNCTION ratchet._rotate_slice(at timestamptz)
RETURNS boolean
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
SET lock_timeout = '100ms'
AS $$
#variable_conflict use_column
DECLARE
    v_open record;
BEGIN
    SELECT s.* INTO v_open FROM ratchet.slices AS s ORDER BY s.slice DESC LIMIT 1;
    -- Due after the interval, or at once if the clock went back past the
    -- opening (a fake clock set behind it).
    IF (
        v_open.opened_at + ratchet._slice_interval() > _rotate_slice.at
        AND v_open.opened_at <= _rotate_slice.at
    )
        OR NOT EXISTS (
            SELECT 1 FROM ratchet.runs AS r WHERE r.id >= v_open.lo AND r.id < v_open.hi
        ) THEN
        RETURN false;
    END IF;
    PERFORM ratchet._create_slice(v_open.slice + 1, _rotate_slice.at);
    EXECUTE format('ALTER SEQUENCE ratchet.runs_id_seq RESTART WITH %s', v_open.hi);
    RETURN true;
END;
$$;

-- The runs of a slice that must stay: unfinished, finished within their
-- queue's retention, or awaited by a waiting run (whose run_waits rows stay
-- until it resumes or ends). Index range scans only: one per queue on
-- runs_retention (queue, finished_at) and one on run_waits. Null when there
-- are at least max_runs of them (too many to compact).
CREATE OR REPLACE FUNCTION ratchet._slice_kept(
    slice integer, lo bigint, hi bigint, at timestamptz, max_runs integer
)
RETURNS bigint[]
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    v_ids bigint[];
BEGIN
    EXECUTE format(
        $q$
        SELECT array_agg(k.id) FROM (
            SELECT x.id FROM ratchet.queues AS q
            CROSS JOIN LATERAL (
                SELECT r.id FROM ratchet.%1$I AS r
                WHERE r.queue = q.name AND r.finished_at IS NULL
                UNION ALL
                SELECT r.id FROM ratchet.%1$I AS r
                WHERE r.queue = q.name AND r.finished_at >= $1 - q.retention
            ) AS x
            UNION ALL
            SELECT w.awaited FROM ratchet.run_waits AS w
            WHERE w.awaited >= $2 AND w.awaited < $3
            LIMIT $4
        ) AS k
        $q$,
        'runs_s' || _slice_kept.slice
    )
    INTO v_ids
    USING _slice_kept.at, _slice_kept.lo, _slice_kept.hi, _slice_kept.max_runs;
    IF cardinality(v_ids) >= _slice_kept.max_runs THEN
        RETURN null;
    END IF;
    RETURN ARRAY(SELECT DISTINCT u.id FROM unnest(v_ids) AS u (id) ORDER BY u.id);
END;
$$;

-- Drops or compacts the oldest closed slice that can go, at most one per
-- call; returns the number of runs that left. Every lock it takes waits at most lock_timeout (the
-- function's setting): a slice someone is reading is retried by the next
-- tick rather than stalling the engine behind that reader, since a
-- statement waiting for ACCESS EXCLUSIVE makes every later one wait too.
-- A slice keeping runs is compacted only when at least half of it leaves,
-- and only when it keeps fewer than 1,000 runs (they are copied through
-- memory); otherwise it waits for a later tick.
CREATE OR REPLACE FUNCTION ratchet._retire_slices(at timestamptz)
RETURNS integer
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
SET lock_timeout = '100ms'
AS $$
#variable_conflict use_column
DECLARE
    v_max_kept constant integer := 1000;
    v_s record;
    v_parts text[];
    v_keep bigint[];
    v_rows bigint;
    v_runs ratchet.runs[];
    v_history ratchet.history[];
    v_steps ratchet.steps[];
    v_events ratchet.events[];
    v_part text;
BEGIN
    FOR v_s IN
        SELECT s.* FROM ratchet.slices AS s
        WHERE s.slice < (SELECT max(o.slice) FROM ratchet.slices AS o)
        ORDER BY s.slice
    LOOP
        v_parts := ARRAY[
            'runs_s' || v_s.slice, 'history_s' || v_s.slice,
            'steps_s' || v_s.slice, 'events_s' || v_s.slice
        ];
        BEGIN
            v_keep := ratchet._slice_kept(v_s.slice, v_s.lo, v_s.hi, _retire_slices.at, v_max_kept);
            IF v_keep IS NULL THEN
                CONTINUE;
            END IF;
            -- Rows of the slice, counted up to twice the kept runs: enough to
            -- know whether compacting frees at least half of it.
            EXECUTE format(
                'SELECT count(*) FROM (SELECT FROM ratchet.%I LIMIT $1) AS x', v_parts[1]
            )
            INTO v_rows USING CASE WHEN v_keep = '{}' THEN null ELSE 2 * cardinality(v_keep) END;
            IF v_keep <> '{}' AND v_rows < 2 * cardinality(v_keep) THEN
                CONTINUE;
            END IF;
            -- A closed slice gets no new runs (the sequence restart waited
            -- for every start in flight), so the count stays exact.
            IF v_keep <> '{}' THEN
                EXECUTE format('SELECT count(*) FROM ratchet.%I', v_parts[1]) INTO v_rows;
            END IF;
            EXECUTE format(
                'LOCK TABLE ratchet.%I, ratchet.%I, ratchet.%I, ratchet.%I IN ACCESS EXCLUSIVE MODE',
                v_parts[1], v_parts[2], v_parts[3], v_parts[4]
            );
            -- Again under the locks: a retry, an await_runs or a signal that
            -- committed since has changed what stays.
            v_keep := ratchet._slice_kept(v_s.slice, v_s.lo, v_s.hi, _retire_slices.at, v_max_kept);
            IF v_keep IS NULL THEN
                RETURN 0;
            ELSIF v_keep = '{}' THEN
                FOREACH v_part IN ARRAY v_parts LOOP
                    -- Slice 0 is made by CREATE EXTENSION, so its partitions
                    -- belong to the extension until the engine lets them go.
                    IF EXISTS (
                        SELECT 1 FROM pg_depend AS d
                        WHERE
                            d.classid = 'pg_class'::regclass
                            AND d.objid = format('ratchet.%I', v_part)::regclass
                            AND d.deptype = 'e'
                    ) THEN
                        EXECUTE format('ALTER EXTENSION pgratchet DROP TABLE ratchet.%I', v_part);
                    END IF;
                END LOOP;
                EXECUTE format(
                    'DROP TABLE ratchet.%I, ratchet.%I, ratchet.%I, ratchet.%I',
                    v_parts[1], v_parts[2], v_parts[3], v_parts[4]
                );
                DELETE FROM ratchet.slices AS s WHERE s.slice = v_s.slice;
            ELSE
                SELECT array_agg(r) INTO v_runs FROM ratchet.runs AS r WHERE r.id = ANY(v_keep);
                SELECT array_agg(h) INTO v_history
                FROM ratchet.history AS h WHERE h.run_id = ANY(v_keep);
                SELECT array_agg(st) INTO v_steps
                FROM ratchet.steps AS st WHERE st.run_id = ANY(v_keep);
                SELECT array_agg(e) INTO v_events
                FROM ratchet.events AS e WHERE e.run_id = ANY(v_keep);
                EXECUTE format(
                    'TRUNCATE ratchet.%I, ratchet.%I, ratchet.%I, ratchet.%I',
                    v_parts[1], v_parts[2], v_parts[3], v_parts[4]
                );
                INSERT INTO ratchet.runs OVERRIDING SYSTEM VALUE
                SELECT * FROM unnest(v_runs);
                INSERT INTO ratchet.history OVERRIDING SYSTEM VALUE
                SELECT * FROM unnest(v_history);
                INSERT INTO ratchet.steps OVERRIDING SYSTEM VALUE
                SELECT * FROM unnest(v_steps);
                INSERT INTO ratchet.events OVERRIDING SYSTEM VALUE
                SELECT * FROM unnest(v_events);
            END IF;
            -- The few rows kept elsewhere for the runs that left.
            DELETE FROM ratchet.fenced_tasks AS f
            WHERE f.run_id >= v_s.lo AND f.run_id < v_s.hi AND f.run_id <> ALL(v_keep);
            DELETE FROM ratchet.run_waits AS w
            WHERE w.waiter >= v_s.lo AND w.waiter < v_s.hi AND w.waiter <> ALL(v_keep);
            -- One slice per tick: the locks (for a drop, ACCESS EXCLUSIVE on
            -- the parents) last until tick's transaction ends, so end it soon.
            RETURN v_rows - cardinality(v_keep);
        EXCEPTION WHEN lock_not_available THEN
            -- Someone holds the slice (a long query, pg_dump): next tick.
            CONTINUE;
        END;
    END LOOP;
    RETURN 0;
END;
$$;
