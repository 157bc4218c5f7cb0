-- What happens to a run when its attempt ends, shared by the worker calls,
-- claim and tick. A live run sits in exactly one of ratchet.pending (ready),
-- ratchet.tasks (held) and ratchet.waits (waiting); each transition between
-- them, and out of them, has one helper here: _suspend (held to sleeping or
-- waiting), _resume (waiting to ready), _end (to a final status). Callers
-- hold the run's row lock.

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
    v_queue text;
    v_w ratchet.waits;
BEGIN
    FOR v_waiter IN
        SELECT w.waiter FROM ratchet.run_waits AS w
        WHERE w.awaited = _finished.run_id
        ORDER BY w.waiter DESC
    LOOP
        -- Lock first, then count: a sibling finishing at the same time either
        -- committed its end already or sees ours after waiting for the lock,
        -- so exactly one of them wakes the waiter.
        SELECT r.queue INTO v_queue FROM ratchet.runs AS r WHERE r.id = v_waiter FOR UPDATE;
        SELECT * INTO v_w FROM ratchet.waits AS w WHERE w.run_id = v_waiter;
        IF v_w.runs IS NULL
            OR EXISTS (
                SELECT 1 FROM ratchet.run_waits AS w
                INNER JOIN ratchet.runs AS a ON a.id = w.awaited
                WHERE w.waiter = v_waiter AND a.finished_at IS NULL
            ) THEN
            CONTINUE;
        END IF;
        PERFORM ratchet._resume(
            v_w, v_queue, 'await_runs', ratchet._run_outcomes(v_w.runs), _finished.at, 'woken'
        );
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

-- Suspends a held run: its task ends and the run either sleeps (a pending
-- row due at wake_at) or waits (a waits row: for an event, until timeout_at
-- if given, or for runs, each with a run_waits row).
CREATE OR REPLACE FUNCTION ratchet._suspend(
    t ratchet.tasks,
    step text,
    detail jsonb,
    at timestamptz,
    wake_at timestamptz DEFAULT null,
    event text DEFAULT null,
    timeout_at timestamptz DEFAULT null,
    runs bigint[] DEFAULT null
)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    v_status text := CASE WHEN _suspend.wake_at IS NULL THEN 'waiting' ELSE 'sleeping' END;
BEGIN
    DELETE FROM ratchet.tasks AS x WHERE x.id = _suspend.t.id;
    UPDATE ratchet.runs AS r SET status = v_status WHERE r.id = _suspend.t.run_id;
    IF v_status = 'sleeping' THEN
        PERFORM ratchet._pend(_suspend.t.run_id, _suspend.wake_at);
    ELSE
        INSERT INTO ratchet.waits (run_id, step, event, timeout_at, runs, since)
        VALUES (
            _suspend.t.run_id, _suspend.step, _suspend.event, _suspend.timeout_at,
            _suspend.runs, _suspend.at
        );
        IF _suspend.runs IS NOT NULL THEN
            -- Finished runs get a row too: it keeps them from being purged
            -- before the waiter reads their outcomes (D9).
            INSERT INTO ratchet.run_waits (awaited, waiter)
            SELECT DISTINCT a.id, _suspend.t.run_id FROM unnest(_suspend.runs) AS a (id);
        END IF;
    END IF;
    PERFORM ratchet._durability(_suspend.t.queue);
    PERFORM ratchet._log(_suspend.t.run_id, v_status, _suspend.step, _suspend.detail, _suspend.at);
END;
$$;

-- A waiting run gets what it waited for: the step is recorded, its waits are
-- over and the run is claimable now.
CREATE OR REPLACE FUNCTION ratchet._resume(
    w ratchet.waits, queue text, kind text, result jsonb, at timestamptz, history_kind text
)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
BEGIN
    DELETE FROM ratchet.waits AS x WHERE x.run_id = _resume.w.run_id;
    INSERT INTO ratchet.steps AS s (run_id, name, kind, result, created_at)
    VALUES (_resume.w.run_id, _resume.w.step, _resume.kind, _resume.result, _resume.at)
    ON CONFLICT ON CONSTRAINT steps_pkey DO NOTHING;
    UPDATE ratchet.runs AS x SET status = 'queued' WHERE x.id = _resume.w.run_id;
    DELETE FROM ratchet.run_waits AS x WHERE x.waiter = _resume.w.run_id;
    PERFORM ratchet._pend(_resume.w.run_id, _resume.at);
    PERFORM ratchet._log(
        _resume.w.run_id, _resume.history_kind, _resume.w.step,
        jsonb_build_object('kind', _resume.kind), _resume.at
    );
    PERFORM ratchet._durability(_resume.queue);
    PERFORM ratchet._wake(_resume.queue);
END;
$$;

-- Ends a run for good, whoever ends it: its final status, output (completed
-- only), error (null keeps the last one: a run that completes after a retry
-- keeps that failure's error), failure counts (null keeps them) and end time;
-- its deadline row goes; the history entry; and the runs that await it are
-- told. The caller has
-- taken the run out of pending, tasks and waits.
CREATE OR REPLACE FUNCTION ratchet._end(
    run_id bigint,
    status text,
    output jsonb,
    error jsonb,
    failures jsonb,
    step text,
    detail jsonb,
    at timestamptz
)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    v_deadline timestamptz;
BEGIN
    UPDATE ratchet.runs AS r SET
        status = _end.status,
        output = _end.output,
        error = coalesce(_end.error, r.error),
        failures = coalesce(_end.failures, r.failures),
        finished_at = _end.at
    WHERE r.id = _end.run_id
    RETURNING r.deadline INTO v_deadline;
    IF v_deadline IS NOT NULL THEN
        DELETE FROM ratchet.deadlines AS d WHERE d.run_id = _end.run_id;
    END IF;
    PERFORM ratchet._log(_end.run_id, _end.status, _end.step, _end.detail, _end.at);
    PERFORM ratchet._finished(_end.run_id, _end.at);
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

    PERFORM ratchet._end(
        v_r.id, 'failed', null, _after_failure.error,
        v_r.failures || jsonb_build_object(v_key, v_count), _after_failure.step,
        jsonb_build_object(
            'error', _after_failure.error, 'failures', v_count,
            'max_attempts', v_limit, 'retryable', _after_failure.retryable
        ),
        _after_failure.at
    );
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

-- Fails runs past their deadline and fences their tasks. The runs come from
-- ratchet.deadlines (a range scan); each is locked, newest first, and skipped
-- when another session holds it. Under the lock the run's own deadline
-- decides: a retry may have moved it since.
CREATE OR REPLACE FUNCTION ratchet._enforce_deadlines(at timestamptz, max_rows integer)
RETURNS integer
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    v_ids bigint[];
    v_r ratchet.runs;
    v_count integer := 0;
    v_error jsonb;
BEGIN
    v_ids := ARRAY(
        SELECT d.run_id FROM ratchet.deadlines AS d
        WHERE d.deadline <= _enforce_deadlines.at
        ORDER BY d.run_id DESC
        LIMIT _enforce_deadlines.max_rows
    );
    IF v_ids = '{}' THEN
        RETURN 0;
    END IF;
    -- id = ANY(...): a generic plan prunes runs' slices (sql/16_slices.sql).
    FOR v_r IN
        SELECT r.* FROM ratchet.runs AS r
        WHERE
            r.id = ANY(v_ids)
            AND r.deadline <= _enforce_deadlines.at
            AND r.finished_at IS NULL
        ORDER BY r.id DESC
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

-- Takes a live run out of pending, tasks and waits: its task is fenced (the
-- worker's next call raises `code`), its pending row and its waits are
-- removed. The caller then ends the run (_end).
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
    DELETE FROM ratchet.waits AS w WHERE w.run_id = _fence_run.run_id;
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
    PERFORM ratchet._end(
        _end_run.run_id, _end_run.status, null, _end_run.error, null, null, _end_run.error,
        _end_run.at
    );
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
