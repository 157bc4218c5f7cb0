-- Completing a held task finishes its run with an output.

CREATE OR REPLACE FUNCTION ratchet.complete(task bigint, output jsonb DEFAULT null)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
-- Generic plans: re-planning these statements on every call costs more than running them.
SET plan_cache_mode = force_generic_plan
AS $$
#variable_conflict use_column
DECLARE
    v_now timestamptz := ratchet.now();
    v_t ratchet.tasks;
BEGIN
    PERFORM ratchet._check_size('output', complete.output);
    v_t := ratchet._hold(complete.task, v_now);
    PERFORM ratchet._durability(v_t.queue);
    DELETE FROM ratchet.tasks AS t WHERE t.id = v_t.id;
    PERFORM ratchet._end(
        v_t.run_id, 'completed', complete.output, null, null, null,
        jsonb_build_object('task', v_t.id), v_now
    );
END;
$$;

-- A batch of completions in one transaction (one commit for many tasks),
-- set-based so a batch costs a few statements, not a few per task: the same
-- end as ratchet._end (deadline rows included), for many runs at once.
-- Tasks no longer held are skipped, not raised: the returned ids say which
-- completed. outputs is a JSON array aligned with tasks, or null.
CREATE OR REPLACE FUNCTION ratchet.complete_many(tasks bigint[], outputs jsonb DEFAULT null)
RETURNS SETOF bigint
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
-- Generic plans: re-planning these statements on every call costs more than running them.
SET plan_cache_mode = force_generic_plan
AS $$
#variable_conflict use_column
DECLARE
    v_now timestamptz := ratchet.now();
    v_outputs jsonb := nullif(complete_many.outputs, 'null'::jsonb);
    v_done bigint[];
    v_runs bigint[];
    v_run bigint;
BEGIN
    PERFORM ratchet._require_read_committed('complete_many');
    IF v_outputs IS NOT NULL AND (
        jsonb_typeof(v_outputs) <> 'array'
        OR jsonb_array_length(v_outputs) <> coalesce(cardinality(complete_many.tasks), 0)
    ) THEN
        PERFORM ratchet._raise(
            'RT005', 'complete_many: outputs must be a JSON array with one element per task'
        );
    END IF;
    PERFORM ratchet._check_size('output', o.value)
    FROM jsonb_array_elements(v_outputs) AS o (value);

    -- Every task must be the caller's own, or the whole call is refused.
    PERFORM ratchet._authorize_worker(t.worker_id, format('task %s', t.id))
    FROM ratchet.tasks AS t
    WHERE t.id IN (SELECT unnest(complete_many.tasks));

    -- Lock the runs first (the engine's lock order), newest first. r.id =
    -- ANY(...) on runs' partition key lets a generic plan prune the slices
    -- (sql/16_slices.sql) instead of scanning them all.
    v_runs := ARRAY(
        SELECT t.run_id FROM ratchet.tasks AS t WHERE t.id IN (SELECT unnest(complete_many.tasks))
    );
    PERFORM 1 FROM ratchet.runs AS r
    WHERE r.id = ANY(v_runs)
    ORDER BY r.id DESC
    FOR UPDATE;

    -- Under those locks, the tasks still held.
    WITH held AS (
        DELETE FROM ratchet.tasks AS t
        WHERE
            t.id IN (SELECT unnest(complete_many.tasks))
            AND t.lease_expires_at > v_now
            AND (t.deadline IS NULL OR t.deadline > v_now)
        RETURNING t.id, t.run_id, t.queue
    ),

    finished AS (
        UPDATE ratchet.runs AS r SET
            status = 'completed',
            output = CASE
                WHEN v_outputs IS NOT NULL THEN nullif(
                    v_outputs -> (array_position(complete_many.tasks, h.id) - 1), 'null'::jsonb
                )
            END,
            finished_at = v_now
        FROM held AS h
        WHERE r.id = h.run_id AND r.id = ANY(v_runs)
        RETURNING h.id AS task, h.run_id AS run, r.deadline
    ),

    untimed AS (
        DELETE FROM ratchet.deadlines AS d
        WHERE d.run_id IN (SELECT f.run FROM finished AS f WHERE f.deadline IS NOT NULL)
    ),

    logged AS (
        INSERT INTO ratchet.history (run_id, at, kind, step, detail)
        SELECT h.run_id, v_now, 'completed', null, jsonb_build_object('task', h.id)
        FROM held AS h
        ORDER BY h.run_id
    ),

    async AS (
        SELECT set_config('synchronous_commit', 'off', true)
        FROM ratchet.queues AS q
        WHERE q.durability = 'async' AND q.name IN (SELECT h.queue FROM held AS h)
        LIMIT 1
    )

    SELECT array_agg(f.task ORDER BY f.task), array_agg(f.run) INTO v_done, v_runs
    FROM finished AS f
    LEFT JOIN async AS a ON true;

    -- Fan-in only for runs someone awaits.
    FOR v_run IN
        SELECT DISTINCT w.awaited FROM ratchet.run_waits AS w
        WHERE w.awaited IN (SELECT unnest(v_runs))
        ORDER BY w.awaited DESC
    LOOP
        PERFORM ratchet._finished(v_run, v_now);
    END LOOP;
    RETURN QUERY SELECT unnest(v_done);
END;
$$;
