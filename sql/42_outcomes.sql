-- What happens to a run when its attempt ends, shared by the worker calls,
-- claim and tick. Callers hold the run's row lock and have removed the task.

-- Wakes the runs that await this finished run: a waiter resumes once none of
-- the runs it awaits is unfinished. Its run_waits rows stay until it resumes
-- or ends, so _purge keeps every outcome it has yet to read (D9).
CREATE OR REPLACE FUNCTION ratchet._finished(run_id bigint, at timestamptz)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    v_waiter bigint;
    v_r ratchet.runs;
    v_result jsonb;
BEGIN
    FOR v_waiter IN
        SELECT w.waiter FROM ratchet.run_waits AS w
        WHERE w.awaited = _finished.run_id
        ORDER BY w.waiter DESC
    LOOP
        -- Lock first, then count: a sibling finishing at the same time either
        -- committed its end already or sees ours after waiting for the lock,
        -- so exactly one of them wakes the waiter.
        SELECT * INTO v_r FROM ratchet.runs AS r WHERE r.id = v_waiter FOR UPDATE;
        IF v_r.status <> 'waiting' OR v_r.wait_runs IS NULL
            OR EXISTS (
                SELECT 1 FROM ratchet.run_waits AS w
                INNER JOIN ratchet.runs AS a ON a.id = w.awaited
                WHERE w.waiter = v_waiter AND a.finished_at IS NULL
            ) THEN
            CONTINUE;
        END IF;
        v_result := ratchet._run_outcomes(v_r.wait_runs);
        PERFORM ratchet._resume(v_r, 'await_runs', v_result, _finished.at, 'woken');
    END LOOP;
END;
$$;

-- The await_runs result: one object per run, in the order given.
CREATE OR REPLACE FUNCTION ratchet._run_outcomes(runs bigint[])
RETURNS jsonb
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT coalesce(jsonb_agg(
        jsonb_build_object(
            'run', a.id, 'status', r.status, 'output', r.output, 'error', r.error
        ) ORDER BY a.ord
    ), '[]'::jsonb)
    FROM unnest(_run_outcomes.runs) WITH ORDINALITY AS a (id, ord)
    LEFT JOIN ratchet.runs AS r ON r.id = a.id;
$$;

-- A waiting run gets what it waited for: the step is recorded, its waits are
-- over and the run is claimable now.
CREATE OR REPLACE FUNCTION ratchet._resume(
    r ratchet.runs, kind text, result jsonb, at timestamptz, history_kind text
)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
BEGIN
    INSERT INTO ratchet.steps AS s (run_id, name, kind, result, created_at)
    VALUES (_resume.r.id, _resume.r.wait_step, _resume.kind, _resume.result, _resume.at)
    ON CONFLICT ON CONSTRAINT steps_pkey DO NOTHING;
    UPDATE ratchet.runs AS x SET
        status = 'queued',
        wait_step = null,
        wait_event = null,
        wait_until = null,
        wait_runs = null
    WHERE x.id = _resume.r.id;
    DELETE FROM ratchet.run_waits AS w WHERE w.waiter = _resume.r.id;
    PERFORM ratchet._pend(_resume.r.id, _resume.at);
    PERFORM ratchet._log(
        _resume.r.id, _resume.history_kind, _resume.r.wait_step,
        jsonb_build_object('kind', _resume.kind), _resume.at
    );
    PERFORM ratchet._durability(_resume.r.queue);
    PERFORM ratchet._wake(_resume.r.queue);
END;
$$;

-- A failed attempt: retry after backoff while the failures of this step (or
-- of the body) stay under the attempt limit, else fail the run for good.
CREATE OR REPLACE FUNCTION ratchet._after_failure(
    run_id bigint,
    step text,
    error jsonb,
    retryable boolean,
    max_attempts integer,
    at timestamptz
)
RETURNS text
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    v_r ratchet.runs;
    v_q ratchet.queues;
    v_key text := coalesce(_after_failure.step, '');
    v_count integer;
    v_limit integer;
    v_due timestamptz;
BEGIN
    SELECT * INTO v_r FROM ratchet.runs AS r WHERE r.id = _after_failure.run_id;
    SELECT * INTO v_q FROM ratchet.queues AS q WHERE q.name = v_r.queue;
    v_count := coalesce((v_r.failures ->> v_key)::integer, 0) + 1;
    v_limit := coalesce(_after_failure.max_attempts, v_r.max_attempts, v_q.max_attempts);

    IF _after_failure.retryable AND v_count < v_limit THEN
        v_due := _after_failure.at + ratchet._backoff(v_q, v_count);
        UPDATE ratchet.runs AS r SET
            status = 'queued',
            attempt = r.attempt + 1,
            error = _after_failure.error,
            failures = r.failures || jsonb_build_object(v_key, v_count)
        WHERE r.id = _after_failure.run_id;
        PERFORM ratchet._pend(v_r.id, v_due);
        PERFORM ratchet._log(
            v_r.id, 'retrying', _after_failure.step,
            jsonb_build_object(
                'error', _after_failure.error, 'failures', v_count,
                'max_attempts', v_limit, 'retry_at', v_due
            ),
            _after_failure.at
        );
        IF v_due <= _after_failure.at THEN
            PERFORM ratchet._wake(v_r.queue);
        END IF;
        RETURN 'retrying';
    END IF;

    UPDATE ratchet.runs AS r SET
        status = 'failed',
        error = _after_failure.error,
        finished_at = _after_failure.at,
        failures = r.failures || jsonb_build_object(v_key, v_count)
    WHERE r.id = _after_failure.run_id;
    PERFORM ratchet._log(
        v_r.id, 'failed', _after_failure.step,
        jsonb_build_object(
            'error', _after_failure.error, 'failures', v_count,
            'max_attempts', v_limit, 'retryable', _after_failure.retryable
        ),
        _after_failure.at
    );
    PERFORM ratchet._finished(v_r.id, _after_failure.at);
    RETURN 'failed';
END;
$$;

-- A lease ran out: a failure of the body, recorded as such.
CREATE OR REPLACE FUNCTION ratchet._lease_lost(t ratchet.tasks, at timestamptz)
RETURNS text
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
BEGIN
    PERFORM ratchet._log(
        _lease_lost.t.run_id, 'lease_expired', null,
        jsonb_build_object(
            'task', _lease_lost.t.id, 'worker', _lease_lost.t.worker_id,
            'expired_at', _lease_lost.t.lease_expires_at
        ),
        _lease_lost.at
    );
    RETURN ratchet._after_failure(
        _lease_lost.t.run_id, null, '{"lease_expired": true}'::jsonb, true, null, _lease_lost.at
    );
END;
$$;

-- Reclaims expired leases (in the given queues, or all when null). Skips
-- runs another session is busy with: the next pass gets them.
CREATE OR REPLACE FUNCTION ratchet._reclaim(queues text[], at timestamptz, max_rows integer)
RETURNS integer
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    v_t ratchet.tasks;
    v_count integer := 0;
BEGIN
    FOR v_t IN
        SELECT t.* FROM ratchet.tasks AS t
        WHERE
            t.lease_expires_at <= _reclaim.at
            AND (_reclaim.queues IS NULL OR t.queue = ANY(_reclaim.queues))
        ORDER BY t.run_id DESC
        LIMIT _reclaim.max_rows
    LOOP
        PERFORM 1 FROM ratchet.runs AS r WHERE r.id = v_t.run_id FOR UPDATE SKIP LOCKED;
        IF NOT FOUND THEN
            CONTINUE;
        END IF;
        BEGIN
            DELETE FROM ratchet.tasks AS t
            WHERE t.id = v_t.id AND t.lease_expires_at <= _reclaim.at;
            IF NOT FOUND THEN
                CONTINUE;
            END IF;
            PERFORM ratchet._lease_lost(v_t, _reclaim.at);
        EXCEPTION WHEN OTHERS THEN
            -- One bad row must not stop the pass for every queue (D1).
            PERFORM ratchet._engine_fail(v_t.run_id, 'reclaim', SQLSTATE, SQLERRM, _reclaim.at);
        END;
        v_count := v_count + 1;
    END LOOP;
    RETURN v_count;
END;
$$;

-- Fails runs past their deadline and fences their tasks.
CREATE OR REPLACE FUNCTION ratchet._enforce_deadlines(at timestamptz, max_rows integer)
RETURNS integer
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    v_r ratchet.runs;
    v_count integer := 0;
    v_error jsonb;
BEGIN
    FOR v_r IN
        SELECT r.* FROM ratchet.runs AS r
        WHERE
            r.deadline <= _enforce_deadlines.at
            AND r.deadline IS NOT NULL
            AND r.finished_at IS NULL
        ORDER BY r.id DESC
        LIMIT _enforce_deadlines.max_rows
        FOR UPDATE SKIP LOCKED
    LOOP
        v_error := jsonb_build_object('deadline_exceeded', true, 'deadline', v_r.deadline);
        BEGIN
            PERFORM ratchet._end_run(
                v_r.id, 'failed', v_error, 'RT001', 'the run passed its deadline',
                _enforce_deadlines.at
            );
        EXCEPTION WHEN OTHERS THEN
            PERFORM ratchet._engine_fail(
                v_r.id, 'deadline', SQLSTATE, SQLERRM, _enforce_deadlines.at
            );
        END;
        v_count := v_count + 1;
    END LOOP;
    RETURN v_count;
END;
$$;

-- Takes a live run off the hot path: its task is fenced (the worker's next
-- call raises `code`), its pending row and its waits are removed. The caller
-- then sets the run's final status and clears its wait_* columns.
CREATE OR REPLACE FUNCTION ratchet._fence_run(run_id bigint, code text, reason text, at timestamptz)
RETURNS void
LANGUAGE sql
SET search_path = pg_catalog, pg_temp
AS $$
    WITH gone AS (
        DELETE FROM ratchet.tasks AS t WHERE t.run_id = _fence_run.run_id
        RETURNING t.id
    )

    INSERT INTO ratchet.fenced_tasks (task_id, run_id, code, reason, fenced_at)
    SELECT g.id, _fence_run.run_id, _fence_run.code, _fence_run.reason, _fence_run.at
    FROM gone AS g;
    DELETE FROM ratchet.pending AS p WHERE p.run_id = _fence_run.run_id;
    DELETE FROM ratchet.run_waits AS w WHERE w.waiter = _fence_run.run_id;
$$;

-- Ends a live run for good from outside its worker (deadline, cancel, engine
-- error): its task is fenced with `code`, it leaves the hot path, the final
-- status and error are set, the end is logged and its awaiters are told.
-- The caller holds the run's row lock.
CREATE OR REPLACE FUNCTION ratchet._end_run(
    run_id bigint, status text, error jsonb, code text, reason text, at timestamptz
)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
BEGIN
    PERFORM ratchet._fence_run(_end_run.run_id, _end_run.code, _end_run.reason, _end_run.at);
    UPDATE ratchet.runs AS r SET
        status = _end_run.status,
        error = _end_run.error,
        finished_at = _end_run.at,
        wait_step = null,
        wait_event = null,
        wait_until = null,
        wait_runs = null
    WHERE r.id = _end_run.run_id;
    PERFORM ratchet._log(_end_run.run_id, _end_run.status, null, _end_run.error, _end_run.at);
    PERFORM ratchet._finished(_end_run.run_id, _end_run.at);
END;
$$;

-- A maintenance pass met an error it cannot handle on one run: fail that run
-- with the engine error (so an operator sees it and can retry it) and carry
-- on with the others. If even that fails, the row is left for the next pass
-- with a WARNING in the server log: the pass itself never stops.
CREATE OR REPLACE FUNCTION ratchet._engine_fail(
    run_id bigint, phase text, sqlstate text, message text, at timestamptz
)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    v_error jsonb := jsonb_build_object(
        'engine_error', jsonb_build_object(
            'phase', _engine_fail.phase,
            'sqlstate', _engine_fail.sqlstate,
            'message', _engine_fail.message
        )
    );
BEGIN
    RAISE WARNING 'pgratchet: run % failed in %: % (%)',
        _engine_fail.run_id, _engine_fail.phase, _engine_fail.message, _engine_fail.sqlstate;
    BEGIN
        PERFORM 1 FROM ratchet.runs AS r
        WHERE r.id = _engine_fail.run_id AND r.finished_at IS NULL
        FOR UPDATE;
        IF FOUND THEN
            PERFORM ratchet._end_run(
                _engine_fail.run_id, 'failed', v_error, 'RT001',
                'the engine failed the run: ' || _engine_fail.message, _engine_fail.at
            );
        END IF;
    EXCEPTION WHEN OTHERS THEN
        RAISE WARNING 'pgratchet: could not fail run % after an engine error: % (%)',
            _engine_fail.run_id, SQLERRM, SQLSTATE;
    END;
END;
$$;
