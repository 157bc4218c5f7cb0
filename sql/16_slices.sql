-- Retention by slices. Runs, history, steps and events are partitioned by run
-- id with the same bounds: slice k holds the run ids [lo, hi) of its row in
-- ratchet.slices (2^28 of them, following slice k-1's) and its partitions are
-- runs_s<k>, history_s<k>, steps_s<k>, events_s<k>. The newest slice is
-- open. Once it is older than the slice interval (or half its ids are used),
-- tick opens the next one and restarts the run id sequence at its first id,
-- so new runs land there at once. A closed slice whose runs are all finished
-- and past their queue's retention (and awaited by no waiting run) leaves
-- by DROP TABLE; one that still keeps a few runs is compacted in place:
-- those runs' rows are copied out, the partitions truncated, the rows put
-- back with the same ids. Neither touches the rest of the slice row by row.
-- See docs/architecture.md (design) and docs/operations.md (granularity).

-- Creates slice n's four partitions and its row: 2^28 run ids from where the
-- previous slice ends (slice 0 of a database upgraded from 0.1.0 is wider:
-- it holds every id 0.1.0 gave out). The partitions are made
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
    v_lo constant bigint := coalesce((SELECT max(s.hi) FROM ratchet.slices AS s), 0);
    v_hi constant bigint := v_lo + 268435456;
    v_table text;
    v_part text;
BEGIN
    FOREACH v_table IN ARRAY ARRAY['runs', 'history', 'steps', 'events'] LOOP
        v_part := v_table || '_s' || _create_slice.slice;
        EXECUTE format(
            'CREATE TABLE ratchet.%I (LIKE ratchet.%I INCLUDING DEFAULTS INCLUDING CONSTRAINTS)%s',
            v_part, v_table,
            -- Room for HOT updates of the run row at each transition: a
            -- batch claim rewrites every run of a page in one transaction,
            -- so the page needs room for their new versions (70: see
            -- docs/architecture.md for the measurements).
            CASE v_table WHEN 'runs' THEN ' WITH (fillfactor = 70)' ELSE '' END
        );
        EXECUTE format(
            'ALTER TABLE ratchet.%I ATTACH PARTITION ratchet.%I FOR VALUES FROM (%s) TO (%s)',
            v_table, v_part, v_lo, v_hi
        );
        -- Like every engine table (sql/95_privileges.sql): readers go through
        -- the parent, whose row policy a partition read directly would skip.
        EXECUTE format('GRANT SELECT ON ratchet.%I TO ratchet_admin', v_part);
    END LOOP;
    INSERT INTO ratchet.slices (slice, lo, hi, opened_at)
    VALUES (_create_slice.slice, v_lo, v_hi, _create_slice.opened_at);
END;
$$;

-- How long a slice stays open: a quarter of the longest queue retention, at
-- least a minute. A slice leaves about one interval after its last run's
-- retention, so five or six slices are live at a time, whatever the
-- retention (each partition costs every statement on the table a lock), and
-- a queue with a retention of seconds keeps minutes of finished runs.
-- Ids: at most one slice a minute keeps them below 2^53 for 64 years.
CREATE OR REPLACE FUNCTION ratchet._slice_interval()
RETURNS interval
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
BEGIN
    RETURN greatest(
        interval '1 minute',
        (SELECT max(q.retention) FROM ratchet.queues AS q) / 4
    );
END;
$$;

-- Opens the next slice when the open one is older than the slice interval
-- and holds at least one run, or has given out half its ids (so a long
-- interval at a high rate never runs out of them). The restart of the run id
-- sequence is transactional: it blocks starts (nextval) until this transaction ends, so
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
    v_next_id bigint;
BEGIN
    SELECT s.* INTO v_open FROM ratchet.slices AS s ORDER BY s.slice DESC LIMIT 1;
    SELECT CASE WHEN q.is_called THEN q.last_value + 1 ELSE q.last_value END
    INTO v_next_id
    FROM ratchet.runs_id_seq AS q;
    -- Due after the interval, at once if the clock went back past the
    -- opening (a fake clock set behind it), or once half the ids are used.
    IF (
        v_open.opened_at + ratchet._slice_interval() > _rotate_slice.at
        AND v_open.opened_at <= _rotate_slice.at
        AND v_next_id - v_open.lo < (v_open.hi - v_open.lo) / 2
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

-- The runs of [lo, hi) that stay whatever their retention: the live ones
-- (each has its row in pending, tasks or waits, all keyed by run id) and
-- those a waiting run awaits (run_waits, until it resumes or ends). Index
-- range scans only, never runs itself: no index of runs names finished_at,
-- so that a run's end is a HOT update. At most about max_runs ids.
CREATE OR REPLACE FUNCTION ratchet._slice_live(lo bigint, hi bigint, max_runs integer)
RETURNS bigint[]
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
BEGIN
    RETURN ARRAY(
        SELECT DISTINCT k.id FROM (
            (
                SELECT p.run_id AS id FROM ratchet.pending AS p
                WHERE p.run_id >= _slice_live.lo AND p.run_id < _slice_live.hi
                LIMIT _slice_live.max_runs
            )
            UNION ALL
            (
                SELECT t.run_id FROM ratchet.tasks AS t
                WHERE t.run_id >= _slice_live.lo AND t.run_id < _slice_live.hi
                LIMIT _slice_live.max_runs
            )
            UNION ALL
            (
                SELECT w.run_id FROM ratchet.waits AS w
                WHERE w.run_id >= _slice_live.lo AND w.run_id < _slice_live.hi
                LIMIT _slice_live.max_runs
            )
            UNION ALL
            (
                SELECT w.awaited FROM ratchet.run_waits AS w
                WHERE w.awaited >= _slice_live.lo AND w.awaited < _slice_live.hi
                LIMIT _slice_live.max_runs
            )
        ) AS k
        ORDER BY k.id
        LIMIT _slice_live.max_runs
    );
END;
$$;

-- One scan of a closed slice's runs: how many there are, how many are
-- unfinished, how many finished ones are within their queue's retention at
-- `at`, and when the last retention ends (the slice's expiry once all its
-- runs have finished).
CREATE OR REPLACE FUNCTION ratchet._slice_scan(
    slice integer, at timestamptz,
    OUT runs bigint, OUT unfinished bigint, OUT retained bigint, OUT expires_at timestamptz
)
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
BEGIN
    EXECUTE format(
        $q$
        SELECT
            count(*),
            count(*) FILTER (WHERE r.finished_at IS NULL),
            count(*) FILTER (WHERE r.finished_at + q.retention >= $1),
            max(r.finished_at + q.retention)
        FROM ratchet.%I AS r
        LEFT JOIN ratchet.queues AS q ON q.name = r.queue
        $q$,
        'runs_s' || _slice_scan.slice
    )
    INTO _slice_scan.runs, _slice_scan.unfinished, _slice_scan.retained, _slice_scan.expires_at
    USING _slice_scan.at;
END;
$$;

-- Drops or compacts the oldest closed slice that can go, at most one per
-- call; returns the number of runs that left. A slice can go once no run of
-- it is live or awaited (index probes: ratchet._slice_live) and every
-- finished one is past its queue's retention. Runs has no index on
-- finished_at (its updates stay HOT), so the retention part takes a scan of
-- the slice, done once and remembered in ratchet.slices: expires_at (when
-- the last retention ends, once all its runs have finished) and recheck_at
-- (before it, tick does not scan the slice again). A slice past expires_at
-- with no live run is dropped without a scan (but for counting its runs).
-- retry forgets both when it re-opens a run of the slice; a scan locks the
-- slice's row first, so a retry either committed before the scan (which
-- sees it) or waits for tick.
-- Every lock it takes waits at most lock_timeout (the function's setting): a
-- slice someone is reading is retried by the next tick rather than stalling
-- the engine behind that reader, since a statement waiting for ACCESS
-- EXCLUSIVE makes every later one wait too. A slice keeping runs is
-- compacted only when at least half of it leaves, and only when it keeps
-- fewer than 1,000 runs (they are copied through memory); otherwise it waits
-- for a later tick.
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
    v_scan record;
    v_parts text[];
    v_live bigint[];
    v_scanned boolean;
    v_keep bigint[];
    v_kept bigint;
    v_room bigint;
    v_next timestamptz;
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
            v_live := ratchet._slice_live(v_s.lo, v_s.hi, v_max_kept);
            IF cardinality(v_live) >= v_max_kept THEN
                CONTINUE;
            END IF;
            -- False when the stored expiry decides (no scan); true when a
            -- scan does, now or at recheck_at.
            v_scanned := v_live <> '{}' OR NOT coalesce(v_s.expires_at < _retire_slices.at, false);
            IF NOT v_scanned THEN
                -- Every run finished and past retention, as found by an
                -- earlier scan that no retry has undone since.
                v_keep := '{}';
                EXECUTE format('SELECT count(*) FROM ratchet.%I', v_parts[1]) INTO v_rows;
            ELSIF v_s.recheck_at >= _retire_slices.at THEN
                CONTINUE;
            ELSE
                PERFORM 1 FROM ratchet.slices AS s WHERE s.slice = v_s.slice FOR UPDATE;
                SELECT * INTO v_scan FROM ratchet._slice_scan(v_s.slice, _retire_slices.at);
                v_rows := v_scan.runs;
                -- Kept: the live and awaited runs (an awaited run within
                -- retention counts twice: an estimate on the safe side).
                v_kept := greatest(cardinality(v_live), v_scan.unfinished) + v_scan.retained;
                IF v_kept >= v_max_kept OR v_rows < 2 * v_kept THEN
                    -- Not yet. The kept runs must fall to v_room for a
                    -- compaction (or to none for a drop): the finished ones
                    -- within retention leave in order of their retention's
                    -- end, so look again after the (v_room + 1)-th latest
                    -- end. Live runs may finish meanwhile: while there are
                    -- any, look again within a slice interval.
                    v_room := least(v_max_kept - 1, v_rows / 2) - (v_kept - v_scan.retained);
                    v_next := null;
                    IF v_room >= 0 THEN
                        EXECUTE format(
                            $q$
                            SELECT r.finished_at + q.retention FROM ratchet.%I AS r
                            INNER JOIN ratchet.queues AS q ON q.name = r.queue
                            WHERE r.finished_at IS NOT NULL
                            ORDER BY 1 DESC
                            OFFSET $1 LIMIT 1
                            $q$,
                            v_parts[1]
                        )
                        INTO v_next USING v_room;
                    END IF;
                    IF v_next IS NULL OR v_kept > v_scan.retained THEN
                        v_next := least(v_next, _retire_slices.at + ratchet._slice_interval());
                    END IF;
                    UPDATE ratchet.slices AS s SET
                        expires_at = CASE WHEN v_scan.unfinished = 0 THEN v_scan.expires_at END,
                        recheck_at = v_next
                    WHERE s.slice = v_s.slice;
                    CONTINUE;
                END IF;
                -- The kept runs by id: live or awaited, unfinished, or
                -- finished within retention.
                EXECUTE format(
                    $q$
                    SELECT array_agg(r.id) FROM ratchet.%I AS r
                    LEFT JOIN ratchet.queues AS q ON q.name = r.queue
                    WHERE r.finished_at IS NULL OR r.finished_at + q.retention >= $1
                    $q$,
                    v_parts[1]
                )
                INTO v_keep USING _retire_slices.at;
                v_keep := ARRAY(
                    SELECT DISTINCT u.id FROM unnest(v_live || v_keep) AS u (id) ORDER BY u.id
                );
            END IF;
            EXECUTE format(
                'LOCK TABLE ratchet.%I, ratchet.%I, ratchet.%I, ratchet.%I IN ACCESS EXCLUSIVE MODE',
                v_parts[1], v_parts[2], v_parts[3], v_parts[4]
            );
            -- Again under the locks: a retry that committed since the
            -- expiry was found forgot it, and a retry, an await_runs or a
            -- signal may have made runs live or awaited.
            IF NOT v_scanned
                AND NOT coalesce(
                    (SELECT s.expires_at < _retire_slices.at FROM ratchet.slices AS s WHERE s.slice = v_s.slice),
                    false
                ) THEN
                RETURN 0;
            END IF;
            v_keep := ARRAY(
                SELECT DISTINCT u.id
                FROM unnest(v_keep || ratchet._slice_live(v_s.lo, v_s.hi, v_max_kept)) AS u (id)
                ORDER BY u.id
            );
            IF cardinality(v_keep) >= v_max_kept THEN
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
                -- What is left is small: the next tick scans it again.
                UPDATE ratchet.slices AS s SET expires_at = null, recheck_at = null
                WHERE s.slice = v_s.slice;
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
