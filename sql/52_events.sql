-- Events: stored first, matched later, so none is lost. A name may be sent
-- and awaited many times; each await consumes the oldest unconsumed one.

CREATE OR REPLACE FUNCTION ratchet._check_event(event text)
RETURNS text
LANGUAGE plpgsql
IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF event IS NULL OR length(event) NOT BETWEEN 1 AND 200 THEN
        PERFORM ratchet._raise(
            'RT005', format('invalid event name %L', event),
            'an event name is a non-empty text of at most 200 characters'
        );
    END IF;
    RETURN event;
END;
$$;

CREATE OR REPLACE FUNCTION ratchet.signal(run bigint, event text, payload jsonb DEFAULT null)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    v_now timestamptz := ratchet.now();
    v_r ratchet.runs;
    v_w ratchet.waits;
    v_e ratchet.events;
    v_limit integer;
BEGIN
    PERFORM ratchet._require_read_committed('signal');
    PERFORM ratchet._check_event(signal.event);
    PERFORM ratchet._check_size('payload', signal.payload);
    SELECT * INTO v_r FROM ratchet.runs AS r WHERE r.id = signal.run FOR UPDATE;
    IF NOT FOUND THEN
        PERFORM ratchet._raise('RT006', format('unknown run %s', signal.run));
    END IF;
    PERFORM ratchet._authorize(v_r.queue, 'produce');
    IF v_r.finished_at IS NOT NULL THEN
        PERFORM ratchet._raise(
            'RT008', format('run %s is %s: it takes no more events', v_r.id, v_r.status)
        );
    END IF;
    IF v_r.status = 'waiting' THEN
        SELECT * INTO v_w FROM ratchet.waits AS w WHERE w.run_id = v_r.id;
    END IF;
    -- Bounded buffer (D10), counted under the run's lock. An event the run
    -- waits for is consumed at once, so it is never refused.
    v_limit := (ratchet._setting('max_buffered_events') #>> '{}')::int;
    IF v_w.event IS DISTINCT FROM signal.event
        AND (
            SELECT count(*) FROM (
                SELECT 1 FROM ratchet.events AS e
                WHERE e.run_id = v_r.id AND e.consumed_at IS NULL
                LIMIT v_limit
            ) AS b
        ) >= v_limit THEN
        PERFORM ratchet._raise(
            'RT005',
            format(
                'run %s already has %s unconsumed events, the limit (max_buffered_events)',
                v_r.id, v_limit
            ),
            'the run consumes events with await_event: send fewer, or ask an admin to raise the limit (ratchet.configure(''max_buffered_events'', ...))'
        );
    END IF;
    INSERT INTO ratchet.events AS e (run_id, name, payload, sent_at)
    VALUES (v_r.id, signal.event, signal.payload, v_now)
    RETURNING e.* INTO v_e;
    PERFORM ratchet._durability(v_r.queue);
    PERFORM ratchet._log(
        v_r.id, 'signal', null, jsonb_build_object('event', signal.event, 'id', v_e.id), v_now
    );
    IF v_w.event = signal.event THEN
        PERFORM ratchet._resume(
            v_w, v_r.queue, 'event', ratchet._consume_event(v_r.id, v_w.step, signal.event, v_now),
            v_now, 'woken'
        );
    END IF;
END;
$$;

-- Takes the oldest unconsumed event of that name for a step; null if none.
CREATE OR REPLACE FUNCTION ratchet._consume_event(
    run_id bigint, step text, event text, at timestamptz
)
RETURNS jsonb
LANGUAGE sql
SET search_path = pg_catalog, pg_temp
AS $$
    WITH oldest AS (
        SELECT e.id FROM ratchet.events AS e
        WHERE
            e.run_id = _consume_event.run_id
            AND e.name = _consume_event.event
            AND e.consumed_at IS NULL
        ORDER BY e.id
        LIMIT 1
        FOR UPDATE
    )

    UPDATE ratchet.events AS e SET
        consumed_by = _consume_event.step,
        consumed_at = _consume_event.at
    FROM oldest AS o
    WHERE e.run_id = _consume_event.run_id AND e.id = o.id
    RETURNING jsonb_build_object('payload', e.payload);
$$;

CREATE OR REPLACE FUNCTION ratchet.await_event(
    task bigint, step text, event text, timeout interval DEFAULT null
)
RETURNS jsonb
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    v_now timestamptz := ratchet.now();
    v_t ratchet.tasks;
    v_s ratchet.steps;
    v_result jsonb;
BEGIN
    PERFORM ratchet._check_step(await_event.step);
    PERFORM ratchet._check_event(await_event.event);
    PERFORM ratchet._check_duration('await_event: timeout', await_event.timeout, interval '100 years');
    v_t := ratchet._hold(await_event.task, v_now);

    v_s := ratchet._step(v_t.run_id, await_event.step);
    IF v_s.run_id IS NOT NULL THEN
        RETURN v_s.result;
    END IF;

    v_result := ratchet._consume_event(v_t.run_id, await_event.step, await_event.event, v_now);
    IF v_result IS NULL AND await_event.timeout = interval '0' THEN
        v_result := '{"timed_out": true}'::jsonb;
    END IF;
    IF v_result IS NOT NULL THEN
        INSERT INTO ratchet.steps (run_id, name, kind, result, created_at)
        VALUES (v_t.run_id, await_event.step, 'event', v_result, v_now);
        PERFORM ratchet._durability(v_t.queue);
        PERFORM ratchet._log(
            v_t.run_id, 'step', await_event.step,
            jsonb_build_object('event', await_event.event), v_now
        );
        RETURN v_result;
    END IF;

    PERFORM ratchet._suspend(
        v_t, await_event.step,
        jsonb_build_object('event', await_event.event, 'until', v_now + await_event.timeout),
        v_now,
        event => await_event.event, timeout_at => v_now + await_event.timeout
    );
    RETURN null;
END;
$$;
