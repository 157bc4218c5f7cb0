-- Fencing: every worker call names its task, and only a held task may act.
-- _hold locks the task's run row first (the engine's lock order: a run row
-- before anything hanging off it), then re-reads the task under that lock.
CREATE OR REPLACE FUNCTION ratchet._hold(task bigint, at timestamptz)
RETURNS ratchet.tasks
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    v_t ratchet.tasks;
    v_f ratchet.fenced_tasks;
BEGIN
    PERFORM ratchet._require_read_committed('a task call');
    SELECT * INTO v_t FROM ratchet.tasks AS t WHERE t.id = _hold.task;
    IF FOUND THEN
        -- Only the worker's own role may act on its task (checked before
        -- taking any lock on the run).
        PERFORM ratchet._authorize_worker(v_t.worker_id, format('task %s', v_t.id));
        PERFORM 1 FROM ratchet.runs AS r WHERE r.id = v_t.run_id FOR UPDATE;
        SELECT * INTO v_t FROM ratchet.tasks AS t WHERE t.id = _hold.task;
    END IF;
    IF v_t.id IS NULL THEN
        SELECT * INTO v_f FROM ratchet.fenced_tasks AS f WHERE f.task_id = _hold.task;
        IF FOUND THEN
            PERFORM ratchet._raise(
                v_f.code,
                format('task %s of run %s is no longer held: %s', _hold.task, v_f.run_id, v_f.reason),
                'stop working on this run'
            );
        END IF;
        PERFORM ratchet._raise(
            'RT001',
            format('task %s is not held (finished, handed back, reclaimed or unknown)', _hold.task),
            'stop working on this run'
        );
    END IF;
    IF v_t.lease_expires_at <= _hold.at THEN
        PERFORM ratchet._raise(
            'RT001',
            format('task %s lost its lease at %s', _hold.task, v_t.lease_expires_at),
            'heartbeat more often than the queue''s lease, or lengthen the lease'
        );
    END IF;
    IF v_t.deadline <= _hold.at THEN
        PERFORM ratchet._raise(
            'RT001',
            format('task %s: run %s passed its deadline at %s', _hold.task, v_t.run_id, v_t.deadline)
        );
    END IF;
    RETURN v_t;
END;
$$;
