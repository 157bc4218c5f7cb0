-- Register a workflow or update the options given; JSON null resets one.
-- A run keeps the version it started with.
CREATE OR REPLACE FUNCTION ratchet.register_workflow(name text, options jsonb DEFAULT '{}')
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    v_now timestamptz := ratchet.now();
    v_opts jsonb;
    v_w ratchet.workflows;
    v_old ratchet.workflows;
BEGIN
    PERFORM ratchet._check_name('workflow', register_workflow.name);
    v_opts := ratchet._check_options(
        'register_workflow', register_workflow.options,
        ARRAY['queue', 'version', 'max_attempts', 'timeout']
    );

    SELECT * INTO v_w FROM ratchet.workflows AS w
    WHERE w.name = register_workflow.name
    FOR UPDATE;
    IF FOUND THEN
        v_old := v_w;
    ELSE
        v_w := ROW(register_workflow.name, 'default', '1', null, null, v_now, v_now);
    END IF;

    IF v_opts ? 'queue' THEN
        v_w.queue := coalesce(v_opts ->> 'queue', 'default');
        PERFORM ratchet._check_name('queue', v_w.queue);
        IF NOT EXISTS (SELECT 1 FROM ratchet.queues AS q WHERE q.name = v_w.queue) THEN
            PERFORM ratchet._raise(
                'RT004', format('unknown queue %L', v_w.queue),
                'create it first with ratchet.create_queue()'
            );
        END IF;
    END IF;
    IF v_opts ? 'version' THEN
        IF v_opts -> 'version' = 'null'::jsonb THEN
            v_w.version := '1';
        ELSIF jsonb_typeof(v_opts -> 'version') IN ('string', 'number')
            AND length(v_opts ->> 'version') BETWEEN 1 AND 100 THEN
            v_w.version := v_opts ->> 'version';
        ELSE
            PERFORM ratchet._raise(
                'RT005',
                format('option version must be a text of 1 to 100 characters, got %s', v_opts -> 'version')
            );
        END IF;
    END IF;
    IF v_opts ? 'max_attempts' THEN
        v_w.max_attempts := ratchet._opt_int('max_attempts', v_opts -> 'max_attempts', 1, 1000000);
    END IF;
    IF v_opts ? 'timeout' THEN
        v_w.timeout := ratchet._opt_interval('timeout', v_opts -> 'timeout');
        IF v_w.timeout = interval '0' THEN
            PERFORM ratchet._raise('RT005', 'option timeout must be longer than zero');
        END IF;
    END IF;
    -- Re-registering what is stored (every client does it at start-up)
    -- needs any right on the queue; a change needs manage on the queues it
    -- touches.
    IF v_old.name IS NOT NULL
        AND (v_old.queue, v_old.version, v_old.max_attempts, v_old.timeout)
        IS NOT DISTINCT FROM (v_w.queue, v_w.version, v_w.max_attempts, v_w.timeout) THEN
        PERFORM ratchet._authorize(v_w.queue, 'read');
        RETURN;
    END IF;
    PERFORM ratchet._authorize(v_w.queue, 'manage');
    IF v_old.queue <> v_w.queue THEN
        PERFORM ratchet._authorize(v_old.queue, 'manage');
    END IF;
    v_w.updated_at := v_now;

    INSERT INTO ratchet.workflows AS w VALUES (v_w.*)
    ON CONFLICT ON CONSTRAINT workflows_pkey DO UPDATE SET
        queue = excluded.queue,
        version = excluded.version,
        max_attempts = excluded.max_attempts,
        timeout = excluded.timeout,
        updated_at = excluded.updated_at;
END;
$$;
