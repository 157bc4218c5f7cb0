-- Create a queue or update the options given; JSON null resets an option.
CREATE OR REPLACE FUNCTION ratchet.create_queue(name text, options jsonb DEFAULT '{}')
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    v_now timestamptz := ratchet.now();
    v_opts jsonb;
    v_backoff jsonb;
    v_default ratchet.queues;
    v_q ratchet.queues;
    v_was_paused boolean;
BEGIN
    PERFORM ratchet._check_name('queue', create_queue.name);
    v_opts := ratchet._check_options(
        'create_queue', create_queue.options,
        ARRAY[
            'concurrency', 'lease', 'max_attempts', 'backoff', 'durability',
            'notify', 'paused', 'retention', 'priority_limit'
        ]
    );
    v_default := ratchet._queue_defaults(create_queue.name, v_now);

    SELECT * INTO v_q FROM ratchet.queues AS q
    WHERE q.name = create_queue.name
    FOR UPDATE;
    IF NOT FOUND THEN
        PERFORM ratchet._authorize_admin('create_queue (a new queue)');
        v_q := v_default;
    ELSIF v_opts = '{}'::jsonb THEN
        -- Changes nothing (clients call this to make sure a queue exists):
        -- any right on the queue is enough.
        PERFORM ratchet._authorize(v_q.name, 'read');
        RETURN;
    ELSE
        PERFORM ratchet._authorize(v_q.name, 'manage');
    END IF;
    v_was_paused := v_q.paused;

    IF v_opts ? 'concurrency' THEN
        v_q.concurrency := ratchet._opt_int('concurrency', v_opts -> 'concurrency', 1, 2147483647);
    END IF;
    IF v_opts ? 'lease' THEN
        v_q.lease := coalesce(
            ratchet._opt_interval('lease', v_opts -> 'lease', interval '1 day'), v_default.lease
        );
        IF v_q.lease <= interval '0' THEN
            PERFORM ratchet._raise('RT005', 'option lease must be longer than zero');
        END IF;
    END IF;
    IF v_opts ? 'max_attempts' THEN
        v_q.max_attempts := coalesce(
            ratchet._opt_int('max_attempts', v_opts -> 'max_attempts', 1, 1000000),
            v_default.max_attempts
        );
    END IF;
    IF v_opts ? 'backoff' THEN
        v_backoff := v_opts -> 'backoff';
        IF v_backoff = 'null'::jsonb THEN
            v_backoff := '{"initial": null, "factor": null, "max": null, "jitter": null}';
        END IF;
        v_backoff := ratchet._check_options(
            'create_queue backoff', v_backoff, ARRAY['initial', 'factor', 'max', 'jitter']
        );
        IF v_backoff ? 'initial' THEN
            v_q.backoff_initial := coalesce(
                ratchet._opt_interval('backoff.initial', v_backoff -> 'initial'),
                v_default.backoff_initial
            );
        END IF;
        IF v_backoff ? 'factor' THEN
            v_q.backoff_factor := coalesce(
                ratchet._opt_number('backoff.factor', v_backoff -> 'factor', 1, 1000),
                v_default.backoff_factor
            );
        END IF;
        IF v_backoff ? 'max' THEN
            v_q.backoff_max := coalesce(
                ratchet._opt_interval('backoff.max', v_backoff -> 'max'),
                v_default.backoff_max
            );
        END IF;
        IF v_backoff ? 'jitter' THEN
            v_q.backoff_jitter := coalesce(
                ratchet._opt_number('backoff.jitter', v_backoff -> 'jitter', 0, 1),
                v_default.backoff_jitter
            );
        END IF;
        IF v_q.backoff_max < v_q.backoff_initial THEN
            PERFORM ratchet._raise(
                'RT005',
                format(
                    'option backoff.max (%s) must not be shorter than backoff.initial (%s)',
                    v_q.backoff_max, v_q.backoff_initial
                )
            );
        END IF;
    END IF;
    IF v_opts ? 'durability' THEN
        IF v_opts -> 'durability' = 'null'::jsonb THEN
            v_q.durability := v_default.durability;
        ELSIF v_opts ->> 'durability' IN ('sync', 'async')
            AND jsonb_typeof(v_opts -> 'durability') = 'string' THEN
            v_q.durability := v_opts ->> 'durability';
        ELSE
            PERFORM ratchet._raise(
                'RT005',
                format('option durability must be "sync" or "async", got %s', v_opts -> 'durability')
            );
        END IF;
    END IF;
    IF v_opts ? 'notify' THEN
        v_q.notify := coalesce(ratchet._opt_bool('notify', v_opts -> 'notify'), v_default.notify);
    END IF;
    IF v_opts ? 'paused' THEN
        v_q.paused := coalesce(ratchet._opt_bool('paused', v_opts -> 'paused'), v_default.paused);
    END IF;
    IF v_opts ? 'retention' THEN
        v_q.retention := coalesce(
            ratchet._opt_interval('retention', v_opts -> 'retention'), v_default.retention
        );
    END IF;
    IF v_opts ? 'priority_limit' THEN
        v_q.priority_limit := ratchet._opt_int(
            'priority_limit', v_opts -> 'priority_limit', -32768, 32767
        );
    END IF;
    v_q.updated_at := v_now;

    INSERT INTO ratchet.queues AS q VALUES (v_q.*)
    ON CONFLICT ON CONSTRAINT queues_pkey DO UPDATE SET
        concurrency = excluded.concurrency,
        lease = excluded.lease,
        max_attempts = excluded.max_attempts,
        backoff_initial = excluded.backoff_initial,
        backoff_factor = excluded.backoff_factor,
        backoff_max = excluded.backoff_max,
        backoff_jitter = excluded.backoff_jitter,
        durability = excluded.durability,
        notify = excluded.notify,
        paused = excluded.paused,
        retention = excluded.retention,
        priority_limit = excluded.priority_limit,
        updated_at = excluded.updated_at;

    -- The queue's two wake-up slots ('-infinity': the next wake-up is sent).
    INSERT INTO ratchet.queue_signals AS s (queue, slot, notified_at)
    SELECT v_q.name, g.slot, '-infinity'
    FROM generate_series(0, 1) AS g (slot)
    ON CONFLICT ON CONSTRAINT queue_signals_pkey DO NOTHING;

    -- Unpausing makes waiting work claimable now: tell the workers.
    IF v_was_paused AND NOT v_q.paused THEN
        PERFORM ratchet._wake(v_q.name);
    END IF;
END;
$$;
