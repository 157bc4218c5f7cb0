-- Child runs and fan-in. start_child is idempotent per (run, step);
-- await_runs suspends the run until the last awaited run finishes, and the
-- database itself wakes it (ratchet._finished); no awaited run is purged
-- while it waits.

CREATE OR REPLACE FUNCTION ratchet.start_child(
    task bigint, step text, workflow text, input jsonb, options jsonb DEFAULT '{}'
)
RETURNS bigint
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    v_now timestamptz := ratchet.now();
    v_t ratchet.tasks;
    v_s ratchet.steps;
    v_child bigint;
BEGIN
    PERFORM ratchet._check_step(start_child.step);
    v_t := ratchet._hold(start_child.task, v_now);

    v_s := ratchet._step(v_t.run_id, start_child.step);
    IF v_s.run_id IS NOT NULL THEN
        RETURN (v_s.result ->> 'run')::bigint;
    END IF;

    v_child := ratchet._start(
        start_child.workflow, jsonb_build_array(start_child.input), start_child.options,
        v_t.run_id, start_child.step, 'start_child'
    );
    INSERT INTO ratchet.steps (run_id, name, kind, result, created_at)
    VALUES (v_t.run_id, start_child.step, 'child', jsonb_build_object('run', v_child), v_now);
    PERFORM ratchet._durability(v_t.queue);
    PERFORM ratchet._log(
        v_t.run_id, 'child_started', start_child.step,
        jsonb_build_object('run', v_child, 'workflow', start_child.workflow), v_now
    );
    RETURN v_child;
END;
$$;

CREATE OR REPLACE FUNCTION ratchet.await_runs(task bigint, step text, runs bigint[])
RETURNS jsonb
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    v_now timestamptz := ratchet.now();
    v_t ratchet.tasks;
    v_s ratchet.steps;
    v_own bigint;
    v_worker bigint;
    v_missing bigint;
    v_open bigint[];
    v_result jsonb;
BEGIN
    PERFORM ratchet._check_step(await_runs.step);
    IF await_runs.runs IS NULL OR array_position(await_runs.runs, null) IS NOT NULL THEN
        PERFORM ratchet._raise('RT005', 'await_runs: runs must be an array of run ids without nulls');
    END IF;
    SELECT t.run_id, t.worker_id INTO v_own, v_worker
    FROM ratchet.tasks AS t WHERE t.id = await_runs.task;
    IF FOUND THEN
        -- Another role's task must not learn even which run it belongs to.
        PERFORM ratchet._authorize_worker(v_worker, format('task %s', await_runs.task));
    END IF;
    IF v_own = ANY(await_runs.runs) THEN
        PERFORM ratchet._raise('RT005', format('await_runs: run %s cannot await itself', v_own));
    END IF;

    -- Lock order: awaited runs (children, newer ids) before the waiter, the
    -- same order a finishing child takes, so the two cannot deadlock.
    PERFORM 1 FROM ratchet.runs AS r
    WHERE r.id = ANY(await_runs.runs)
    ORDER BY r.id DESC
    FOR SHARE;
    v_t := ratchet._hold(await_runs.task, v_now);

    v_s := ratchet._step(v_t.run_id, await_runs.step);
    IF v_s.run_id IS NOT NULL THEN
        RETURN v_s.result;
    END IF;

    SELECT u.id INTO v_missing
    FROM unnest(await_runs.runs) AS u (id)
    WHERE NOT EXISTS (SELECT 1 FROM ratchet.runs AS r WHERE r.id = u.id)
    LIMIT 1;
    IF FOUND THEN
        PERFORM ratchet._raise('RT006', format('unknown run %s', v_missing));
    END IF;
    -- Outcomes are outputs: a run awaits its own children, other runs only
    -- on queues its role may read.
    PERFORM ratchet._authorize(r.queue, 'read')
    FROM ratchet.runs AS r
    WHERE r.id = ANY(await_runs.runs) AND r.parent IS DISTINCT FROM v_t.run_id;

    SELECT array_agg(DISTINCT r.id) INTO v_open
    FROM ratchet.runs AS r
    WHERE r.id = ANY(await_runs.runs) AND r.finished_at IS NULL;

    IF v_open IS NULL THEN
        v_result := ratchet._run_outcomes(await_runs.runs);
        INSERT INTO ratchet.steps (run_id, name, kind, result, created_at)
        VALUES (v_t.run_id, await_runs.step, 'await_runs', v_result, v_now);
        PERFORM ratchet._durability(v_t.queue);
        PERFORM ratchet._log(
            v_t.run_id, 'step', await_runs.step,
            jsonb_build_object('runs', cardinality(await_runs.runs)), v_now
        );
        RETURN v_result;
    END IF;

    PERFORM ratchet._suspend(
        v_t, await_runs.step,
        jsonb_build_object('runs', cardinality(await_runs.runs), 'open', cardinality(v_open)),
        v_now,
        runs => await_runs.runs
    );
    RETURN null;
END;
$$;
