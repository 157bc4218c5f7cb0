-- Starting runs. start, start_many and start_child share one set-based path:
-- validate everything first, then insert runs, pending rows, deadlines and
-- history in one statement, so a call that raises writes nothing.
CREATE OR REPLACE FUNCTION ratchet._start(
    workflow text,
    inputs jsonb,
    options jsonb,
    parent bigint,
    parent_step text,
    fn text
)
RETURNS SETOF bigint
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    v_now timestamptz := ratchet.now();
    v_opts jsonb;
    v_w ratchet.workflows;
    v_queue text;
    v_key text;
    v_priority smallint := 0;
    v_priority_limit smallint;
    v_due timestamptz := v_now;
    v_run_at timestamptz;
    v_deadline timestamptz;
    v_timeout interval;
    v_max_attempts integer;
    v_tags jsonb := '{}';
    v_inputs jsonb;
    v_id bigint;
BEGIN
    v_opts := ratchet._check_options(
        fn, _start.options,
        ARRAY[
            'queue', 'idempotency_key', 'priority', 'run_at', 'delay',
            'deadline', 'timeout', 'max_attempts', 'tags'
        ]
    );
    PERFORM ratchet._check_name('workflow', _start.workflow);
    SELECT * INTO v_w FROM ratchet.workflows AS w WHERE w.name = _start.workflow;
    IF NOT FOUND THEN
        PERFORM ratchet._raise(
            'RT003', format('unknown workflow %L', _start.workflow),
            'register it first with ratchet.register_workflow()'
        );
    END IF;

    v_queue := coalesce(v_opts ->> 'queue', v_w.queue);
    PERFORM ratchet._check_name('queue', v_queue);
    SELECT q.priority_limit INTO v_priority_limit FROM ratchet.queues AS q
    WHERE q.name = v_queue;
    IF NOT FOUND THEN
        PERFORM ratchet._raise(
            'RT004', format('unknown queue %L', v_queue),
            'create it first with ratchet.create_queue()'
        );
    END IF;
    PERFORM ratchet._authorize(v_queue, 'produce');

    IF v_opts ? 'idempotency_key' AND v_opts -> 'idempotency_key' <> 'null'::jsonb THEN
        IF fn = 'start_many' THEN
            PERFORM ratchet._raise(
                'RT005', 'start_many takes no idempotency_key: one key cannot name many runs',
                'start runs one by one with ratchet.start() to give each its key'
            );
        END IF;
        IF jsonb_typeof(v_opts -> 'idempotency_key') <> 'string'
            OR length(v_opts ->> 'idempotency_key') NOT BETWEEN 1 AND 500 THEN
            PERFORM ratchet._raise(
                'RT005', 'option idempotency_key must be a text of 1 to 500 characters'
            );
        END IF;
        v_key := v_opts ->> 'idempotency_key';
    END IF;
    -- A run that asks for no priority gets 0, or the queue's limit when that
    -- is less urgent than 0.
    v_priority := coalesce(
        ratchet._opt_int('priority', v_opts -> 'priority', -32768, 32767),
        greatest(0, v_priority_limit)
    );
    IF v_priority < v_priority_limit THEN
        PERFORM ratchet._raise(
            'RT005',
            format(
                '%s: priority %s is more urgent than queue %s allows (priority_limit %s)',
                fn, v_priority, v_queue, v_priority_limit
            ),
            format('give a priority of %s or more (lower runs first)', v_priority_limit)
        );
    END IF;

    IF v_opts ? 'run_at' AND v_opts ? 'delay'
        AND v_opts -> 'run_at' <> 'null'::jsonb AND v_opts -> 'delay' <> 'null'::jsonb THEN
        PERFORM ratchet._raise('RT005', format('%s: give run_at or delay, not both', fn));
    END IF;
    v_run_at := ratchet._opt_timestamptz('run_at', v_opts -> 'run_at');
    IF v_run_at > v_now + interval '100 years' THEN
        PERFORM ratchet._raise(
            'RT005',
            format('%s: option run_at must be at most 100 years ahead, got %s', fn, v_opts -> 'run_at')
        );
    END IF;
    v_due := greatest(
        v_now,
        coalesce(v_run_at, v_now + ratchet._opt_interval('delay', v_opts -> 'delay'), v_now)
    );

    IF v_opts ? 'deadline' AND v_opts ? 'timeout'
        AND v_opts -> 'deadline' <> 'null'::jsonb AND v_opts -> 'timeout' <> 'null'::jsonb THEN
        PERFORM ratchet._raise('RT005', format('%s: give deadline or timeout, not both', fn));
    END IF;
    v_deadline := ratchet._opt_timestamptz('deadline', v_opts -> 'deadline');
    IF v_deadline <= v_now OR v_deadline > v_now + interval '100 years' THEN
        PERFORM ratchet._raise(
            'RT005',
            format(
                '%s: option deadline must be after now (%s) and at most 100 years ahead, got %s',
                fn, v_now, v_opts -> 'deadline'
            )
        );
    END IF;
    v_timeout := ratchet._opt_interval('timeout', v_opts -> 'timeout');
    IF v_timeout = interval '0' THEN
        PERFORM ratchet._raise('RT005', format('%s: option timeout must be longer than zero', fn));
    END IF;
    v_deadline := coalesce(v_deadline, v_now + v_timeout, v_now + v_w.timeout);

    v_max_attempts := coalesce(
        ratchet._opt_int('max_attempts', v_opts -> 'max_attempts', 1, 1000000),
        v_w.max_attempts
    );

    IF v_opts ? 'tags' AND v_opts -> 'tags' <> 'null'::jsonb THEN
        IF jsonb_typeof(v_opts -> 'tags') <> 'object' THEN
            PERFORM ratchet._raise('RT005', 'option tags must be a JSON object');
        END IF;
        v_tags := ratchet._check_size('tags', v_opts -> 'tags');
    END IF;

    -- Validate every input before writing anything.
    SELECT coalesce(jsonb_agg(ratchet._input_object(
        CASE WHEN fn = 'start_many' THEN format('input %s', e.ord - 1) ELSE 'input' END,
        e.value
    ) ORDER BY e.ord), '[]')
    INTO v_inputs
    FROM jsonb_array_elements(_start.inputs) WITH ORDINALITY AS e (value, ord);

    IF v_key IS NOT NULL THEN
        -- Starts with the same key take turns: runs is partitioned, so no
        -- unique index can refuse the second one. The lookup runs after the
        -- lock, with a snapshot that shows a winner that has committed.
        PERFORM pg_advisory_xact_lock(
            hashtextextended('ratchet.idempotency:' || _start.workflow || ':' || v_key, 0)
        );
        SELECT r.id INTO v_id FROM ratchet.runs AS r
        WHERE r.workflow = _start.workflow AND r.idempotency_key = v_key;
        IF FOUND THEN
            RETURN NEXT v_id;
            RETURN;
        END IF;
    END IF;

    PERFORM ratchet._durability(v_queue);

    RETURN QUERY
    WITH new_runs AS (
        INSERT INTO ratchet.runs AS r (
            workflow, version, queue, status, input, attempt, priority, parent,
            parent_step, tags, idempotency_key, max_attempts, deadline, created_at
        )
        SELECT
            _start.workflow, v_w.version, v_queue, 'queued', e.value, 1,
            v_priority, _start.parent, _start.parent_step, v_tags, v_key,
            v_max_attempts, v_deadline, v_now
        FROM jsonb_array_elements(v_inputs) WITH ORDINALITY AS e (value, ord)
        ORDER BY e.ord
        RETURNING r.id
    ),

    ready AS (
        INSERT INTO ratchet.pending (run_id, queue, workflow, priority, due_at)
        SELECT n.id, v_queue, _start.workflow, v_priority, v_due FROM new_runs AS n
    ),

    timed AS (
        INSERT INTO ratchet.deadlines (run_id, deadline)
        SELECT n.id, v_deadline FROM new_runs AS n
        WHERE v_deadline IS NOT NULL
    ),

    logged AS (
        INSERT INTO ratchet.history (run_id, at, kind, step, detail)
        SELECT
            n.id, v_now, 'created', null,
            jsonb_build_object(
                'queue', v_queue, 'version', v_w.version, 'run_at', v_due,
                'parent', _start.parent
            )
        FROM new_runs AS n
    )

    SELECT n.id FROM new_runs AS n ORDER BY n.id;

    IF v_due <= v_now THEN
        PERFORM ratchet._wake(v_queue);
    END IF;
END;
$$;

CREATE OR REPLACE FUNCTION ratchet.start(
    workflow text, input jsonb DEFAULT '{}', options jsonb DEFAULT '{}'
)
RETURNS bigint
LANGUAGE sql
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT ratchet._start(
        start.workflow, jsonb_build_array(start.input), start.options, null, null, 'start'
    );
$$;

CREATE OR REPLACE FUNCTION ratchet.start_many(
    workflow text, inputs jsonb, options jsonb DEFAULT '{}'
)
RETURNS SETOF bigint
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
BEGIN
    IF start_many.inputs IS NULL OR jsonb_typeof(start_many.inputs) <> 'array' THEN
        PERFORM ratchet._raise(
            'RT005', 'start_many: inputs must be a JSON array of objects'
        );
    END IF;
    RETURN QUERY SELECT ratchet._start(
        start_many.workflow, start_many.inputs, start_many.options, null, null, 'start_many'
    );
END;
$$;
