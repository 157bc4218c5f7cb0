-- pgratchet 0.1.0: plain install script for servers that cannot install extensions
-- GENERATED FILE, do not edit. Built by scripts/build.sh (make build) from sql/*.sql;
-- edit the sources there and rebuild.
-- Apply as one transaction:  psql -v ON_ERROR_STOP=1 --single-transaction -f pgratchet.plain.sql
-- Remove with:               DROP SCHEMA ratchet CASCADE;

-- ==== sql/00_schema.sql ====

-- The ratchet schema holds every object of the engine. The extension script
-- creates it, so DROP EXTENSION removes it with everything inside.
CREATE SCHEMA ratchet;

COMMENT ON SCHEMA ratchet IS
'pgratchet: a durable workflow engine inside PostgreSQL';

-- ==== sql/01_now.sql ====

-- Every engine decision about time reads ratchet.now(), so tests can move
-- the clock with SET ratchet.fake_now = '...' (principle 9).
CREATE FUNCTION ratchet.now()
RETURNS timestamptz
LANGUAGE sql
VOLATILE
SET search_path = ''
AS $$
    SELECT coalesce(
        nullif(current_setting('ratchet.fake_now', true), '')::timestamptz,
        clock_timestamp()
    );
$$;

COMMENT ON FUNCTION ratchet.now() IS
'The engine clock: ratchet.fake_now when set, else clock_timestamp().';

-- ==== sql/02_errors.sql ====

-- One place raises the engine's typed errors, so every message has the same
-- shape and every SQLSTATE is of class RT (see docs/sql-reference.md).
CREATE FUNCTION ratchet._raise(code text, message text, hint text DEFAULT null)
RETURNS void
LANGUAGE plpgsql
IMMUTABLE
SET search_path = ''
AS $$
#variable_conflict use_column
BEGIN
    IF hint IS NULL THEN
        RAISE EXCEPTION USING errcode = code, message = message;
    END IF;
    RAISE EXCEPTION USING errcode = code, message = message, hint = hint;
END;
$$;

-- Queue and workflow names become NOTIFY channel suffixes: keep them plain.
CREATE FUNCTION ratchet._check_name(kind text, value text)
RETURNS text
LANGUAGE plpgsql
IMMUTABLE
SET search_path = ''
AS $$
#variable_conflict use_column
BEGIN
    IF value IS NULL OR value !~ '^[a-z][a-z0-9_]{0,47}$' THEN
        PERFORM ratchet._raise(
            'RT005',
            format('invalid %s name %L', kind, value),
            'names match ^[a-z][a-z0-9_]{0,47}$: a lower-case letter, then up to 47 lower-case letters, digits or underscores'
        );
    END IF;
    RETURN value;
END;
$$;

-- Step names are free text, but bounded so they stay readable keys.
CREATE FUNCTION ratchet._check_step(step text)
RETURNS text
LANGUAGE plpgsql
IMMUTABLE
SET search_path = ''
AS $$
#variable_conflict use_column
BEGIN
    IF step IS NULL OR length(step) = 0 OR length(step) > 200 THEN
        PERFORM ratchet._raise(
            'RT005',
            format('invalid step name %L', step),
            'a step name is a non-empty text of at most 200 characters'
        );
    END IF;
    RETURN step;
END;
$$;

-- Payloads are bounded (ratchet.max_payload_bytes, default 1 MB) so one bad
-- caller cannot bloat the hot tables.
CREATE FUNCTION ratchet._check_size(what text, value jsonb)
RETURNS jsonb
LANGUAGE plpgsql
STABLE
SET search_path = ''
AS $$
#variable_conflict use_column
DECLARE
    v_limit bigint := coalesce(
        nullif(current_setting('ratchet.max_payload_bytes', true), '')::bigint,
        1048576
    );
    v_size bigint;
BEGIN
    IF value IS NULL THEN
        RETURN value;
    END IF;
    v_size := octet_length(value::text);
    IF v_size > v_limit THEN
        PERFORM ratchet._raise(
            'RT005',
            format('%s is %s bytes, over the limit of %s bytes', what, v_size, v_limit),
            'raise the limit with SET ratchet.max_payload_bytes, or store large data elsewhere and pass a reference'
        );
    END IF;
    RETURN value;
END;
$$;

-- Unknown option keys are a typo more often than not: refuse them.
CREATE FUNCTION ratchet._check_options(fn text, options jsonb, allowed text[])
RETURNS jsonb
LANGUAGE plpgsql
IMMUTABLE
SET search_path = ''
AS $$
#variable_conflict use_column
DECLARE
    v_bad text;
BEGIN
    IF options IS NULL OR options = 'null'::jsonb THEN
        RETURN '{}'::jsonb;
    END IF;
    IF jsonb_typeof(options) <> 'object' THEN
        PERFORM ratchet._raise(
            'RT005',
            format('%s: options must be a JSON object, not %s', fn, jsonb_typeof(options))
        );
    END IF;
    SELECT k INTO v_bad
    FROM jsonb_object_keys(options) AS k
    WHERE k <> ALL(allowed)
    ORDER BY k
    LIMIT 1;
    IF v_bad IS NOT NULL THEN
        PERFORM ratchet._raise(
            'RT005',
            format('%s: unknown option %L', fn, v_bad),
            format('allowed options: %s', array_to_string(allowed, ', '))
        );
    END IF;
    RETURN options;
END;
$$;

-- ==== sql/03_options.sql ====

-- Parsers for option values. Each one names the option in its error, says
-- what is allowed, and treats JSON null as "not given" (callers decide what
-- null means for them).

-- Durations are text that casts to interval ('30 seconds') or seconds.
CREATE FUNCTION ratchet._opt_interval(key text, value jsonb)
RETURNS interval
LANGUAGE plpgsql
IMMUTABLE
SET search_path = ''
AS $$
#variable_conflict use_column
DECLARE
    v_result interval;
BEGIN
    IF value IS NULL OR value = 'null'::jsonb THEN
        RETURN null;
    END IF;
    IF jsonb_typeof(value) = 'number' THEN
        v_result := make_interval(secs => (value #>> '{}')::double precision);
    ELSIF jsonb_typeof(value) = 'string' THEN
        BEGIN
            v_result := (value #>> '{}')::interval;
        EXCEPTION WHEN invalid_datetime_format OR datetime_field_overflow
            OR interval_field_overflow OR invalid_text_representation THEN
            v_result := null;
        END;
        IF v_result IS NULL THEN
            PERFORM ratchet._raise(
                'RT005',
                format('option %s: %s is not a duration', key, value),
                'give a duration as text that casts to interval (''30 seconds'') or as a number of seconds'
            );
        END IF;
    ELSE
        PERFORM ratchet._raise(
            'RT005',
            format('option %s: %s is not a duration', key, value),
            'give a duration as text that casts to interval (''30 seconds'') or as a number of seconds'
        );
    END IF;
    IF v_result < interval '0' THEN
        PERFORM ratchet._raise(
            'RT005', format('option %s must not be negative, got %s', key, value)
        );
    END IF;
    RETURN v_result;
END;
$$;

CREATE FUNCTION ratchet._opt_number(
    key text, value jsonb, min_value double precision, max_value double precision
)
RETURNS double precision
LANGUAGE plpgsql
IMMUTABLE
SET search_path = ''
AS $$
#variable_conflict use_column
DECLARE
    v_result double precision;
BEGIN
    IF value IS NULL OR value = 'null'::jsonb THEN
        RETURN null;
    END IF;
    IF jsonb_typeof(value) <> 'number' THEN
        PERFORM ratchet._raise(
            'RT005', format('option %s must be a number, got %s', key, value)
        );
    END IF;
    v_result := (value #>> '{}')::double precision;
    IF v_result < min_value OR v_result > max_value THEN
        PERFORM ratchet._raise(
            'RT005',
            format('option %s must be between %s and %s, got %s', key, min_value, max_value, value)
        );
    END IF;
    RETURN v_result;
END;
$$;

CREATE FUNCTION ratchet._opt_int(key text, value jsonb, min_value bigint, max_value bigint)
RETURNS bigint
LANGUAGE plpgsql
IMMUTABLE
SET search_path = ''
AS $$
#variable_conflict use_column
DECLARE
    v_number numeric;
BEGIN
    IF value IS NULL OR value = 'null'::jsonb THEN
        RETURN null;
    END IF;
    IF jsonb_typeof(value) <> 'number' THEN
        PERFORM ratchet._raise(
            'RT005', format('option %s must be an integer, got %s', key, value)
        );
    END IF;
    v_number := (value #>> '{}')::numeric;
    IF v_number <> trunc(v_number) OR v_number < min_value OR v_number > max_value THEN
        PERFORM ratchet._raise(
            'RT005',
            format('option %s must be an integer from %s to %s, got %s', key, min_value, max_value, value)
        );
    END IF;
    RETURN v_number::bigint;
END;
$$;

CREATE FUNCTION ratchet._opt_bool(key text, value jsonb)
RETURNS boolean
LANGUAGE plpgsql
IMMUTABLE
SET search_path = ''
AS $$
#variable_conflict use_column
BEGIN
    IF value IS NULL OR value = 'null'::jsonb THEN
        RETURN null;
    END IF;
    IF jsonb_typeof(value) <> 'boolean' THEN
        PERFORM ratchet._raise(
            'RT005', format('option %s must be true or false, got %s', key, value)
        );
    END IF;
    RETURN (value #>> '{}')::boolean;
END;
$$;

CREATE FUNCTION ratchet._opt_timestamptz(key text, value jsonb)
RETURNS timestamptz
LANGUAGE plpgsql
STABLE
SET search_path = ''
AS $$
#variable_conflict use_column
DECLARE
    v_result timestamptz;
BEGIN
    IF value IS NULL OR value = 'null'::jsonb THEN
        RETURN null;
    END IF;
    IF jsonb_typeof(value) = 'string' THEN
        BEGIN
            v_result := (value #>> '{}')::timestamptz;
        EXCEPTION WHEN invalid_datetime_format OR datetime_field_overflow
            OR invalid_text_representation THEN
            v_result := null;
        END;
    END IF;
    IF v_result IS NULL THEN
        PERFORM ratchet._raise(
            'RT005',
            format('option %s: %s is not a timestamp', key, value),
            'give a timestamp as ISO 8601 text, e.g. ''2030-01-01T00:00:00Z'''
        );
    END IF;
    RETURN v_result;
END;
$$;

-- Inputs are JSON objects; SQL NULL and JSON null mean {}.
CREATE FUNCTION ratchet._input_object(what text, value jsonb)
RETURNS jsonb
LANGUAGE plpgsql
STABLE
SET search_path = ''
AS $$
#variable_conflict use_column
BEGIN
    IF value IS NULL OR value = 'null'::jsonb THEN
        RETURN '{}'::jsonb;
    END IF;
    IF jsonb_typeof(value) <> 'object' THEN
        PERFORM ratchet._raise(
            'RT005',
            format('%s must be a JSON object, not %s', what, jsonb_typeof(value)),
            'wrap the value in an object, e.g. {"value": ...}'
        );
    END IF;
    RETURN ratchet._check_size(what, value);
END;
$$;

-- ==== sql/10_definition_tables.sql ====

-- Definitions: queues, workflows and workers. Small, rarely written tables.

CREATE TABLE ratchet.queues (
    name text PRIMARY KEY CHECK (name ~ '^[a-z][a-z0-9_]{0,47}$'),
    concurrency integer CHECK (concurrency > 0),
    lease interval NOT NULL CHECK (lease > interval '0'),
    max_attempts integer NOT NULL CHECK (max_attempts >= 1),
    backoff_initial interval NOT NULL CHECK (backoff_initial >= interval '0'),
    backoff_factor double precision NOT NULL CHECK (backoff_factor >= 1),
    backoff_max interval NOT NULL,
    backoff_jitter double precision NOT NULL CHECK (backoff_jitter BETWEEN 0 AND 1),
    durability text NOT NULL CHECK (durability IN ('sync', 'async')),
    notify boolean NOT NULL,
    paused boolean NOT NULL,
    retention interval NOT NULL CHECK (retention >= interval '0'),
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    CHECK (backoff_max >= backoff_initial)
);

COMMENT ON TABLE ratchet.queues IS
'Named lanes of work and their policy; see ratchet.create_queue().';

CREATE TABLE ratchet.workflows (
    name text PRIMARY KEY CHECK (name ~ '^[a-z][a-z0-9_]{0,47}$'),
    queue text NOT NULL REFERENCES ratchet.queues (name),
    version text NOT NULL CHECK (length(version) BETWEEN 1 AND 100),
    max_attempts integer CHECK (max_attempts >= 1),
    timeout interval CHECK (timeout > interval '0'),
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL
);

COMMENT ON TABLE ratchet.workflows IS
'Registered workflow definitions; see ratchet.register_workflow().';

CREATE TABLE ratchet.workers (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name text NOT NULL,
    queues text[] NOT NULL CHECK (cardinality(queues) > 0),
    workflows text[],
    registered_at timestamptz NOT NULL,
    last_seen_at timestamptz NOT NULL,
    deregistered_at timestamptz,
    CHECK (deregistered_at IS NULL OR deregistered_at >= registered_at)
);

COMMENT ON TABLE ratchet.workers IS
'Worker processes; a deregistered worker can no longer claim or heartbeat.';

-- ==== sql/11_runs_table.sql ====

-- One row per run, from creation until purge. Claims never scan this table:
-- ready work lives in ratchet.pending, held work in ratchet.tasks.
CREATE TABLE ratchet.runs (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    workflow text NOT NULL,
    version text NOT NULL,
    queue text NOT NULL,
    status text NOT NULL CHECK (
        status IN (
            'queued', 'running', 'sleeping', 'waiting',
            'completed', 'failed', 'cancelled'
        )
    ),
    input jsonb NOT NULL CHECK (jsonb_typeof(input) = 'object'),
    output jsonb,
    error jsonb,
    attempt integer NOT NULL CHECK (attempt >= 1),
    priority smallint NOT NULL,
    parent bigint,
    parent_step text,
    tags jsonb NOT NULL CHECK (jsonb_typeof(tags) = 'object'),
    idempotency_key text,
    max_attempts integer CHECK (max_attempts >= 1),
    deadline timestamptz,
    -- failures per step ('' = the body): the attempt limit counts these
    failures jsonb NOT NULL DEFAULT '{}',
    -- what a waiting run waits for: an event (wait_event) or runs (run_waits)
    wait_step text,
    wait_event text,
    wait_until timestamptz,
    wait_runs bigint[],
    created_at timestamptz NOT NULL,
    started_at timestamptz,
    finished_at timestamptz,
    CHECK ((status IN ('completed', 'failed', 'cancelled')) = (finished_at IS NOT NULL)),
    CHECK (output IS NULL OR status = 'completed'),
    CHECK ((status = 'waiting') = (wait_step IS NOT NULL)),
    CHECK (wait_event IS NULL OR wait_step IS NOT NULL),
    CHECK (wait_until IS NULL OR wait_step IS NOT NULL),
    CHECK (wait_runs IS NULL OR wait_step IS NOT NULL),
    CHECK ((parent IS NULL) = (parent_step IS NULL)),
    CHECK (started_at IS NULL OR started_at >= created_at)
) WITH (fillfactor = 80);

COMMENT ON TABLE ratchet.runs IS
'Every run kept within its queue''s retention: status, input, output, error.';

-- Indexes avoid columns that every transition rewrites (status, attempt),
-- so most updates stay HOT.
CREATE UNIQUE INDEX runs_idempotency_key ON ratchet.runs (workflow, idempotency_key)
WHERE idempotency_key IS NOT NULL;

CREATE INDEX runs_parent ON ratchet.runs (parent) WHERE parent IS NOT NULL;

CREATE INDEX runs_finished_at ON ratchet.runs (finished_at)
WHERE finished_at IS NOT NULL;

CREATE INDEX runs_open_deadline ON ratchet.runs (deadline)
WHERE deadline IS NOT NULL AND finished_at IS NULL;

CREATE INDEX runs_wait_until ON ratchet.runs (wait_until)
WHERE wait_until IS NOT NULL;

-- ==== sql/12_work_tables.sql ====

-- The hot path: ready work waiting for a claim, and tasks held by workers.
-- Rows are inserted and deleted, never left behind, so both stay small.

-- A queued run (due now or later) or a sleeping run (due at its wake time).
CREATE TABLE ratchet.pending (
    run_id bigint PRIMARY KEY,
    queue text NOT NULL,
    workflow text NOT NULL,
    priority smallint NOT NULL,
    due_at timestamptz NOT NULL
) WITH (
    fillfactor = 90,
    autovacuum_vacuum_scale_factor = 0.01,
    autovacuum_vacuum_insert_scale_factor = 0.01,
    autovacuum_vacuum_cost_delay = 0
);

CREATE INDEX pending_claim_order ON ratchet.pending (queue, priority, due_at, run_id);

COMMENT ON TABLE ratchet.pending IS
'Runs waiting to be claimed, in claim order per queue.';

-- The task id is the fencing token: a worker call names it, and it is held
-- only while its row exists and its lease has not expired.
CREATE SEQUENCE ratchet.task_ids AS bigint;

CREATE TABLE ratchet.tasks (
    id bigint PRIMARY KEY,
    run_id bigint NOT NULL UNIQUE,
    worker_id bigint NOT NULL,
    queue text NOT NULL,
    deadline timestamptz,
    claimed_at timestamptz NOT NULL,
    lease_expires_at timestamptz NOT NULL,
    CHECK (lease_expires_at > claimed_at)
) WITH (
    fillfactor = 70,
    autovacuum_vacuum_scale_factor = 0.01,
    autovacuum_vacuum_insert_scale_factor = 0.01,
    autovacuum_vacuum_cost_delay = 0
);

CREATE INDEX tasks_worker ON ratchet.tasks (worker_id);

CREATE INDEX tasks_queue ON ratchet.tasks (queue);

-- Every claim looks for expired leases; this keeps that a short range scan.
-- Heartbeats rewrite the column, but a heartbeat is rare next to a claim.
CREATE INDEX tasks_lease ON ratchet.tasks (lease_expires_at);

COMMENT ON TABLE ratchet.tasks IS
'Tasks held by workers: the fencing token and its lease.';

-- Tasks ended by someone other than their worker (cancel, deadline), so the
-- worker's next call can say why (RT002 for a cancelled run).
CREATE TABLE ratchet.fenced_tasks (
    task_id bigint PRIMARY KEY,
    run_id bigint NOT NULL,
    code text NOT NULL CHECK (code IN ('RT001', 'RT002')),
    reason text NOT NULL,
    fenced_at timestamptz NOT NULL
);

CREATE INDEX fenced_tasks_run ON ratchet.fenced_tasks (run_id);

-- ==== sql/13_journal_tables.sql ====

-- What a run has done: its audit trail, step checkpoints, events, and the
-- runs it waits for.

CREATE TABLE ratchet.history (
    id bigint GENERATED ALWAYS AS IDENTITY,
    run_id bigint NOT NULL,
    at timestamptz NOT NULL,
    kind text NOT NULL CHECK (
        kind IN (
            'created', 'claimed', 'step', 'sleeping', 'waiting', 'signal',
            'woken', 'timed_out', 'retrying', 'lease_expired', 'failed',
            'completed', 'cancelled', 'retried', 'handed_back', 'child_started'
        )
    ),
    step text,
    detail jsonb,
    PRIMARY KEY (run_id, id)
);

COMMENT ON TABLE ratchet.history IS
'The audit trail: one row per transition, written in the same transaction.';

-- A checkpoint (run, step name) -> result, written exactly once.
CREATE TABLE ratchet.steps (
    run_id bigint NOT NULL,
    name text NOT NULL,
    kind text NOT NULL CHECK (
        kind IN ('step', 'sleep', 'event', 'child', 'await_runs')
    ),
    result jsonb,
    seq bigint GENERATED ALWAYS AS IDENTITY,
    created_at timestamptz NOT NULL,
    PRIMARY KEY (run_id, name)
);

COMMENT ON TABLE ratchet.steps IS
'Step checkpoints; the first writer wins, later writers get this result.';

-- Events are stored first and matched later, so none is lost.
CREATE TABLE ratchet.events (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    run_id bigint NOT NULL,
    name text NOT NULL,
    payload jsonb,
    sent_at timestamptz NOT NULL,
    consumed_by text,
    consumed_at timestamptz,
    CHECK ((consumed_by IS NULL) = (consumed_at IS NULL))
);

CREATE INDEX events_unconsumed ON ratchet.events (run_id, name, id)
WHERE consumed_at IS NULL;

CREATE INDEX events_run ON ratchet.events (run_id);

-- A waiting run's outstanding awaited runs; the last one to finish wakes it.
CREATE TABLE ratchet.run_waits (
    awaited bigint NOT NULL,
    waiter bigint NOT NULL,
    PRIMARY KEY (awaited, waiter)
);

CREATE INDEX run_waits_waiter ON ratchet.run_waits (waiter);

-- ==== sql/14_helpers.sql ====

-- Small helpers every transition shares.

-- One audit entry; callers write it in the same transaction as the change.
CREATE FUNCTION ratchet._log(
    run_id bigint, kind text, step text, detail jsonb, at timestamptz
)
RETURNS void
LANGUAGE sql
SET search_path = ''
AS $$
    INSERT INTO ratchet.history (run_id, at, kind, step, detail)
    VALUES (_log.run_id, _log.at, _log.kind, _log.step, _log.detail);
$$;

-- NOTIFY is a hint: payload-free, one channel per queue, and Postgres folds
-- identical notifications of one transaction into one.
CREATE FUNCTION ratchet._wake(queue text)
RETURNS void
LANGUAGE plpgsql
SET search_path = ''
AS $$
#variable_conflict use_column
BEGIN
    IF EXISTS (
        SELECT 1 FROM ratchet.queues AS q
        WHERE q.name = _wake.queue AND q.notify AND NOT q.paused
    ) THEN
        PERFORM pg_notify('ratchet_' || _wake.queue, '');
    END IF;
END;
$$;

-- Transitions on an async queue commit without waiting for the WAL flush.
CREATE FUNCTION ratchet._durability(queue text)
RETURNS void
LANGUAGE plpgsql
SET search_path = ''
AS $$
#variable_conflict use_column
BEGIN
    IF EXISTS (
        SELECT 1 FROM ratchet.queues AS q
        WHERE q.name = _durability.queue AND q.durability = 'async'
    ) THEN
        PERFORM set_config('synchronous_commit', 'off', true);
    END IF;
END;
$$;

-- Makes a run claimable at due_at: its row in the claim table. Every path
-- back to ready work (hand-back, retry, resume, sleep) goes through here.
CREATE FUNCTION ratchet._pend(run_id bigint, due_at timestamptz)
RETURNS void
LANGUAGE sql
SET search_path = ''
AS $$
    INSERT INTO ratchet.pending (run_id, queue, workflow, priority, due_at)
    SELECT r.id, r.queue, r.workflow, r.priority, _pend.due_at
    FROM ratchet.runs AS r
    WHERE r.id = _pend.run_id;
$$;

-- The queue's policy with every option at its default.
CREATE FUNCTION ratchet._queue_defaults(name text, at timestamptz)
RETURNS ratchet.queues
LANGUAGE sql
IMMUTABLE
SET search_path = ''
AS $$
    SELECT ROW(
        _queue_defaults.name, null, interval '30 seconds', 5,
        interval '1 second', 2, interval '10 minutes', 0.2,
        'sync', true, false, interval '7 days',
        _queue_defaults.at, _queue_defaults.at
    )::ratchet.queues;
$$;

-- Retry delay for the n-th failure: initial * factor^(n-1), capped at max,
-- then spread by +/- jitter.
CREATE FUNCTION ratchet._backoff(q ratchet.queues, failures integer)
RETURNS interval
LANGUAGE sql
VOLATILE
SET search_path = ''
AS $$
    SELECT least(
        q.backoff_initial * power(q.backoff_factor, greatest(failures - 1, 0)),
        q.backoff_max
    ) * (1 + q.backoff_jitter * (2 * random() - 1));
$$;

-- ==== sql/20_create_queue.sql ====

-- Create a queue or update the options given; JSON null resets an option.
CREATE FUNCTION ratchet.create_queue(name text, options jsonb DEFAULT '{}')
RETURNS void
LANGUAGE plpgsql
SET search_path = ''
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
            'notify', 'paused', 'retention'
        ]
    );
    v_default := ratchet._queue_defaults(create_queue.name, v_now);

    SELECT * INTO v_q FROM ratchet.queues AS q
    WHERE q.name = create_queue.name
    FOR UPDATE;
    IF NOT FOUND THEN
        v_q := v_default;
    END IF;
    v_was_paused := v_q.paused;

    IF v_opts ? 'concurrency' THEN
        v_q.concurrency := ratchet._opt_int('concurrency', v_opts -> 'concurrency', 1, 2147483647);
    END IF;
    IF v_opts ? 'lease' THEN
        v_q.lease := coalesce(ratchet._opt_interval('lease', v_opts -> 'lease'), v_default.lease);
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
        updated_at = excluded.updated_at;

    -- Unpausing makes waiting work claimable now: tell the workers.
    IF v_was_paused AND NOT v_q.paused THEN
        PERFORM ratchet._wake(v_q.name);
    END IF;
END;
$$;

-- ==== sql/21_register_workflow.sql ====

-- Register a workflow or update the options given; JSON null resets one.
-- A run keeps the version it started with.
CREATE FUNCTION ratchet.register_workflow(name text, options jsonb DEFAULT '{}')
RETURNS void
LANGUAGE plpgsql
SET search_path = ''
AS $$
#variable_conflict use_column
DECLARE
    v_now timestamptz := ratchet.now();
    v_opts jsonb;
    v_w ratchet.workflows;
BEGIN
    PERFORM ratchet._check_name('workflow', register_workflow.name);
    v_opts := ratchet._check_options(
        'register_workflow', register_workflow.options,
        ARRAY['queue', 'version', 'max_attempts', 'timeout']
    );

    SELECT * INTO v_w FROM ratchet.workflows AS w
    WHERE w.name = register_workflow.name
    FOR UPDATE;
    IF NOT FOUND THEN
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

-- ==== sql/30_start.sql ====

-- Starting runs. start, start_many and start_child share one set-based path:
-- validate everything first, then insert runs, pending rows and history in
-- one statement, so a call that raises writes nothing.
CREATE FUNCTION ratchet._start(
    workflow text,
    inputs jsonb,
    options jsonb,
    parent bigint,
    parent_step text,
    fn text
)
RETURNS SETOF bigint
LANGUAGE plpgsql
SET search_path = ''
AS $$
#variable_conflict use_column
DECLARE
    v_now timestamptz := ratchet.now();
    v_opts jsonb;
    v_w ratchet.workflows;
    v_queue text;
    v_key text;
    v_priority smallint := 0;
    v_due timestamptz := v_now;
    v_deadline timestamptz;
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
    IF NOT EXISTS (SELECT 1 FROM ratchet.queues AS q WHERE q.name = v_queue) THEN
        PERFORM ratchet._raise(
            'RT004', format('unknown queue %L', v_queue),
            'create it first with ratchet.create_queue()'
        );
    END IF;

    IF v_opts ? 'idempotency_key' AND v_opts -> 'idempotency_key' <> 'null'::jsonb THEN
        IF jsonb_typeof(v_opts -> 'idempotency_key') <> 'string'
            OR length(v_opts ->> 'idempotency_key') NOT BETWEEN 1 AND 500 THEN
            PERFORM ratchet._raise(
                'RT005', 'option idempotency_key must be a text of 1 to 500 characters'
            );
        END IF;
        IF jsonb_array_length(_start.inputs) <> 1 THEN
            PERFORM ratchet._raise(
                'RT005', format('%s: idempotency_key needs exactly one input', fn),
                'start runs one by one with ratchet.start() to give each its key'
            );
        END IF;
        v_key := v_opts ->> 'idempotency_key';
    END IF;
    v_priority := coalesce(
        ratchet._opt_int('priority', v_opts -> 'priority', -32768, 32767), 0
    );

    IF v_opts ? 'run_at' AND v_opts ? 'delay'
        AND v_opts -> 'run_at' <> 'null'::jsonb AND v_opts -> 'delay' <> 'null'::jsonb THEN
        PERFORM ratchet._raise('RT005', format('%s: give run_at or delay, not both', fn));
    END IF;
    v_due := greatest(
        v_now,
        coalesce(
            ratchet._opt_timestamptz('run_at', v_opts -> 'run_at'),
            v_now + ratchet._opt_interval('delay', v_opts -> 'delay'),
            v_now
        )
    );

    IF v_opts ? 'deadline' AND v_opts ? 'timeout'
        AND v_opts -> 'deadline' <> 'null'::jsonb AND v_opts -> 'timeout' <> 'null'::jsonb THEN
        PERFORM ratchet._raise('RT005', format('%s: give deadline or timeout, not both', fn));
    END IF;
    v_deadline := coalesce(
        ratchet._opt_timestamptz('deadline', v_opts -> 'deadline'),
        v_now + ratchet._opt_interval('timeout', v_opts -> 'timeout'),
        v_now + v_w.timeout
    );

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
        ON CONFLICT (workflow, idempotency_key)
        WHERE idempotency_key IS NOT NULL DO NOTHING
        RETURNING r.id
    ),

    ready AS (
        INSERT INTO ratchet.pending (run_id, queue, workflow, priority, due_at)
        SELECT n.id, v_queue, _start.workflow, v_priority, v_due FROM new_runs AS n
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

    IF NOT FOUND AND v_key IS NOT NULL THEN
        -- Lost a race on the idempotency key: return the winner's run.
        SELECT r.id INTO v_id FROM ratchet.runs AS r
        WHERE r.workflow = _start.workflow AND r.idempotency_key = v_key;
        RETURN NEXT v_id;
        RETURN;
    END IF;

    IF v_due <= v_now THEN
        PERFORM ratchet._wake(v_queue);
    END IF;
END;
$$;

CREATE FUNCTION ratchet.start(
    workflow text, input jsonb DEFAULT '{}', options jsonb DEFAULT '{}'
)
RETURNS bigint
LANGUAGE sql
SET search_path = ''
AS $$
    SELECT ratchet._start(
        start.workflow, jsonb_build_array(start.input), start.options, null, null, 'start'
    );
$$;

CREATE FUNCTION ratchet.start_many(
    workflow text, inputs jsonb, options jsonb DEFAULT '{}'
)
RETURNS SETOF bigint
LANGUAGE plpgsql
SET search_path = ''
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

-- ==== sql/40_workers.sql ====

-- Workers register, heartbeat to keep their leases, and deregister.

CREATE FUNCTION ratchet.register_worker(
    name text, queues text[], workflows text[] DEFAULT null
)
RETURNS bigint
LANGUAGE plpgsql
SET search_path = ''
AS $$
#variable_conflict use_column
DECLARE
    v_now timestamptz := ratchet.now();
    v_missing text;
    v_id bigint;
BEGIN
    IF register_worker.name IS NULL OR length(register_worker.name) NOT BETWEEN 1 AND 200 THEN
        PERFORM ratchet._raise('RT005', 'a worker name is a text of 1 to 200 characters');
    END IF;
    IF register_worker.queues IS NULL OR cardinality(register_worker.queues) = 0 THEN
        PERFORM ratchet._raise('RT005', 'a worker needs at least one queue');
    END IF;
    SELECT u.q INTO v_missing
    FROM unnest(register_worker.queues) AS u (q)
    WHERE NOT EXISTS (SELECT 1 FROM ratchet.queues AS q WHERE q.name = u.q)
    LIMIT 1;
    IF FOUND THEN
        PERFORM ratchet._raise(
            'RT004', format('unknown queue %L', v_missing),
            'create it first with ratchet.create_queue()'
        );
    END IF;
    SELECT u.w INTO v_missing
    FROM unnest(register_worker.workflows) AS u (w)
    WHERE NOT EXISTS (SELECT 1 FROM ratchet.workflows AS w WHERE w.name = u.w)
    LIMIT 1;
    IF FOUND THEN
        PERFORM ratchet._raise(
            'RT003', format('unknown workflow %L', v_missing),
            'register it first with ratchet.register_workflow()'
        );
    END IF;
    INSERT INTO ratchet.workers AS w (name, queues, workflows, registered_at, last_seen_at)
    VALUES (
        register_worker.name,
        ARRAY(SELECT DISTINCT u.q FROM unnest(register_worker.queues) AS u (q) ORDER BY u.q),
        register_worker.workflows,
        v_now,
        v_now
    )
    RETURNING w.id INTO v_id;
    RETURN v_id;
END;
$$;

-- The live worker row, or RT007.
CREATE FUNCTION ratchet._worker(worker bigint)
RETURNS ratchet.workers
LANGUAGE plpgsql
SET search_path = ''
AS $$
#variable_conflict use_column
DECLARE
    v_w ratchet.workers;
BEGIN
    SELECT * INTO v_w FROM ratchet.workers AS w
    WHERE w.id = _worker.worker AND w.deregistered_at IS NULL;
    IF NOT FOUND THEN
        PERFORM ratchet._raise(
            'RT007', format('unknown or deregistered worker %s', _worker.worker),
            'register the worker again with ratchet.register_worker()'
        );
    END IF;
    RETURN v_w;
END;
$$;

-- Extends every live lease of the worker; an expired lease stays lost.
CREATE FUNCTION ratchet.heartbeat(worker bigint)
RETURNS timestamptz
LANGUAGE plpgsql
SET search_path = ''
AS $$
#variable_conflict use_column
DECLARE
    v_now timestamptz := ratchet.now();
    v_next timestamptz;
BEGIN
    PERFORM ratchet._worker(heartbeat.worker);
    UPDATE ratchet.workers AS w SET last_seen_at = v_now WHERE w.id = heartbeat.worker;
    WITH renewed AS (
        UPDATE ratchet.tasks AS t
        SET lease_expires_at = v_now + q.lease
        FROM ratchet.queues AS q
        WHERE
            t.worker_id = heartbeat.worker
            AND q.name = t.queue
            AND t.lease_expires_at > v_now
        RETURNING t.lease_expires_at
    )

    SELECT min(r.lease_expires_at) INTO v_next FROM renewed AS r;
    RETURN v_next;
END;
$$;

-- Hands the worker's live tasks back to their queues (no failure counted)
-- and retires the worker id. Returns how many tasks were handed back.
CREATE FUNCTION ratchet.deregister_worker(worker bigint)
RETURNS integer
LANGUAGE plpgsql
SET search_path = ''
AS $$
#variable_conflict use_column
DECLARE
    v_now timestamptz := ratchet.now();
    v_task ratchet.tasks;
    v_count integer := 0;
BEGIN
    PERFORM ratchet._worker(deregister_worker.worker);
    UPDATE ratchet.workers AS w SET deregistered_at = v_now, last_seen_at = v_now
    WHERE w.id = deregister_worker.worker;

    FOR v_task IN
        SELECT t.* FROM ratchet.tasks AS t
        WHERE t.worker_id = deregister_worker.worker
        ORDER BY t.run_id DESC
    LOOP
        PERFORM 1 FROM ratchet.runs AS r WHERE r.id = v_task.run_id FOR UPDATE;
        DELETE FROM ratchet.tasks AS t WHERE t.id = v_task.id;
        IF NOT FOUND THEN
            CONTINUE;
        END IF;
        IF v_task.lease_expires_at <= v_now THEN
            -- Already lost: the same outcome as a reclaim by tick or claim.
            PERFORM ratchet._lease_lost(v_task, v_now);
            CONTINUE;
        END IF;
        UPDATE ratchet.runs AS r SET status = 'queued' WHERE r.id = v_task.run_id;
        PERFORM ratchet._pend(v_task.run_id, v_now);
        PERFORM ratchet._log(
            v_task.run_id, 'handed_back', null,
            jsonb_build_object('task', v_task.id, 'worker', v_task.worker_id), v_now
        );
        PERFORM ratchet._wake(v_task.queue);
        v_count := v_count + 1;
    END LOOP;
    RETURN v_count;
END;
$$;

-- ==== sql/41_fence.sql ====

-- Fencing: every worker call names its task, and only a held task may act.
-- _hold locks the task's run row first (the engine's lock order: a run row
-- before anything hanging off it), then re-reads the task under that lock.
CREATE FUNCTION ratchet._hold(task bigint, at timestamptz)
RETURNS ratchet.tasks
LANGUAGE plpgsql
SET search_path = ''
AS $$
#variable_conflict use_column
DECLARE
    v_t ratchet.tasks;
    v_f ratchet.fenced_tasks;
BEGIN
    SELECT * INTO v_t FROM ratchet.tasks AS t WHERE t.id = _hold.task;
    IF FOUND THEN
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

-- ==== sql/42_outcomes.sql ====

-- What happens to a run when its attempt ends, shared by the worker calls,
-- claim and tick. Callers hold the run's row lock and have removed the task.

-- Wakes the runs that await this finished run; the last one wakes its waiter.
CREATE FUNCTION ratchet._finished(run_id bigint, at timestamptz)
RETURNS void
LANGUAGE plpgsql
SET search_path = ''
AS $$
#variable_conflict use_column
DECLARE
    v_waiter bigint;
    v_r ratchet.runs;
    v_result jsonb;
BEGIN
    FOR v_waiter IN
        DELETE FROM ratchet.run_waits AS w WHERE w.awaited = _finished.run_id
        RETURNING w.waiter
    LOOP
        -- Lock first, then count: a sibling finishing at the same time either
        -- committed its delete already or sees ours after waiting for the lock.
        SELECT * INTO v_r FROM ratchet.runs AS r WHERE r.id = v_waiter FOR UPDATE;
        IF v_r.status <> 'waiting' OR v_r.wait_runs IS NULL
            OR EXISTS (SELECT 1 FROM ratchet.run_waits AS w WHERE w.waiter = v_waiter) THEN
            CONTINUE;
        END IF;
        v_result := ratchet._run_outcomes(v_r.wait_runs);
        PERFORM ratchet._resume(v_r, 'await_runs', v_result, _finished.at, 'woken');
    END LOOP;
END;
$$;

-- The await_runs result: one object per run, in the order given.
CREATE FUNCTION ratchet._run_outcomes(runs bigint[])
RETURNS jsonb
LANGUAGE sql
STABLE
SET search_path = ''
AS $$
    SELECT coalesce(jsonb_agg(
        jsonb_build_object(
            'run', a.id, 'status', r.status, 'output', r.output, 'error', r.error
        ) ORDER BY a.ord
    ), '[]'::jsonb)
    FROM unnest(_run_outcomes.runs) WITH ORDINALITY AS a (id, ord)
    LEFT JOIN ratchet.runs AS r ON r.id = a.id;
$$;

-- A waiting run gets what it waited for: the step is recorded and the run is
-- claimable now.
CREATE FUNCTION ratchet._resume(
    r ratchet.runs, kind text, result jsonb, at timestamptz, history_kind text
)
RETURNS void
LANGUAGE plpgsql
SET search_path = ''
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
CREATE FUNCTION ratchet._after_failure(
    run_id bigint,
    step text,
    error jsonb,
    retryable boolean,
    max_attempts integer,
    at timestamptz
)
RETURNS text
LANGUAGE plpgsql
SET search_path = ''
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
CREATE FUNCTION ratchet._lease_lost(t ratchet.tasks, at timestamptz)
RETURNS text
LANGUAGE plpgsql
SET search_path = ''
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
CREATE FUNCTION ratchet._reclaim(queues text[], at timestamptz, max_rows integer)
RETURNS integer
LANGUAGE plpgsql
SET search_path = ''
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
        DELETE FROM ratchet.tasks AS t
        WHERE t.id = v_t.id AND t.lease_expires_at <= _reclaim.at;
        IF NOT FOUND THEN
            CONTINUE;
        END IF;
        PERFORM ratchet._lease_lost(v_t, _reclaim.at);
        v_count := v_count + 1;
    END LOOP;
    RETURN v_count;
END;
$$;

-- Fails runs past their deadline and fences their tasks.
CREATE FUNCTION ratchet._enforce_deadlines(at timestamptz, max_rows integer)
RETURNS integer
LANGUAGE plpgsql
SET search_path = ''
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
        PERFORM ratchet._fence_run(v_r.id, 'RT001', 'the run passed its deadline', _enforce_deadlines.at);
        UPDATE ratchet.runs AS r SET
            status = 'failed',
            error = v_error,
            finished_at = _enforce_deadlines.at,
            wait_step = null,
            wait_event = null,
            wait_until = null,
            wait_runs = null
        WHERE r.id = v_r.id;
        PERFORM ratchet._log(v_r.id, 'failed', null, v_error, _enforce_deadlines.at);
        PERFORM ratchet._finished(v_r.id, _enforce_deadlines.at);
        v_count := v_count + 1;
    END LOOP;
    RETURN v_count;
END;
$$;

-- Takes a live run off the hot path: its task is fenced (the worker's next
-- call raises `code`), its pending row and its waits are removed. The caller
-- then sets the run's final status and clears its wait_* columns.
CREATE FUNCTION ratchet._fence_run(run_id bigint, code text, reason text, at timestamptz)
RETURNS void
LANGUAGE sql
SET search_path = ''
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

-- ==== sql/43_claim.sql ====

-- Claim: hand up to max_tasks ready runs to a worker, each as a new task.
-- Across the worker's queues the order is priority, then due time, then id.
-- Claims never wait on a row another session holds (SKIP LOCKED on pending
-- and on runs), so claimers cannot deadlock with each other or with cancel.
CREATE FUNCTION ratchet.claim(worker bigint, max_tasks integer DEFAULT 1)
RETURNS TABLE (
    task bigint,
    run bigint,
    workflow text,
    version text,
    queue text,
    input jsonb,
    attempt integer,
    checkpoints jsonb,
    steps text[],
    lease_expires_at timestamptz,
    deadline timestamptz
)
LANGUAGE plpgsql
SET search_path = ''
-- Generic plans: re-planning these statements on every call costs more than running them.
SET plan_cache_mode = force_generic_plan
AS $$
#variable_conflict use_column
DECLARE
    v_now timestamptz := ratchet.now();
    v_w ratchet.workers;
    v_queues text[];
    v_budgets integer[];
    v_ids bigint[];
BEGIN
    IF claim.max_tasks IS NULL OR claim.max_tasks NOT BETWEEN 1 AND 1000 THEN
        PERFORM ratchet._raise(
            'RT005', format('max_tasks must be from 1 to 1000, got %s', claim.max_tasks)
        );
    END IF;
    v_w := ratchet._worker(claim.worker);

    -- Recovery needs no control plane: expired leases and passed deadlines
    -- are dealt with here as well as in tick().
    PERFORM ratchet._reclaim(v_w.queues, v_now, 100);
    PERFORM ratchet._enforce_deadlines(v_now, 100);

    SELECT array_agg(q.name ORDER BY q.name), array_agg(q.concurrency ORDER BY q.name)
    INTO v_queues, v_budgets
    FROM ratchet.queues AS q
    WHERE q.name = ANY(v_w.queues) AND NOT q.paused;
    IF v_queues IS NULL THEN
        RETURN;
    END IF;

    -- A limited queue admits one claimer at a time, so two claims cannot both
    -- see the last free slot. Locks are taken in name order.
    FOR i IN 1 .. cardinality(v_queues) LOOP
        IF v_budgets[i] IS NOT NULL THEN
            PERFORM pg_advisory_xact_lock(hashtextextended('ratchet.claim:' || v_queues[i], 0));
            v_budgets[i] := greatest(
                v_budgets[i] - (
                    SELECT count(*) FROM ratchet.tasks AS t
                    WHERE t.queue = v_queues[i] AND t.lease_expires_at > v_now
                ),
                0
            );
        END IF;
    END LOOP;

    -- Lock the best pending rows of each queue, within its free slots.
    SELECT array_agg(c.run_id ORDER BY c.priority, c.due_at, c.run_id)
    INTO v_ids
    FROM (
        SELECT p.run_id, p.priority, p.due_at
        FROM unnest(v_queues, v_budgets) AS q (name, budget)
        CROSS JOIN LATERAL (
            SELECT p.run_id, p.priority, p.due_at
            FROM ratchet.pending AS p
            WHERE
                p.queue = q.name
                AND p.due_at <= v_now
                AND (v_w.workflows IS NULL OR p.workflow = ANY(v_w.workflows))
            ORDER BY p.priority, p.due_at, p.run_id
            LIMIT least(coalesce(q.budget, claim.max_tasks), claim.max_tasks)
            FOR UPDATE SKIP LOCKED
        ) AS p
        ORDER BY p.priority, p.due_at, p.run_id
        LIMIT claim.max_tasks
    ) AS c;
    IF v_ids IS NULL THEN
        RETURN;
    END IF;

    -- Then their runs; one busy elsewhere (cancel, signal) is left for later.
    -- IN (SELECT unnest(...)) rather than = ANY(...): in a generic plan an
    -- array parameter cannot be hashed, and 500 ids against every row is slow.
    SELECT array_agg(l.id) INTO v_ids
    FROM (
        SELECT r.id FROM ratchet.runs AS r
        WHERE r.id IN (SELECT unnest(v_ids))
        ORDER BY r.id DESC
        FOR UPDATE SKIP LOCKED
    ) AS l;
    IF v_ids IS NULL THEN
        RETURN;
    END IF;

    INSERT INTO ratchet.history (run_id, at, kind, step, detail)
    SELECT r.id, v_now, 'woken', null, '{"kind": "sleep"}'::jsonb
    FROM ratchet.runs AS r
    WHERE r.id IN (SELECT unnest(v_ids)) AND r.status = 'sleeping'
    ORDER BY r.id;

    RETURN QUERY
    WITH gone AS (
        DELETE FROM ratchet.pending AS p WHERE p.run_id IN (SELECT unnest(v_ids))
    ),

    held AS (
        INSERT INTO ratchet.tasks AS t (
            id, run_id, worker_id, queue, deadline, claimed_at, lease_expires_at
        )
        SELECT
            nextval('ratchet.task_ids'), r.id, claim.worker, r.queue, r.deadline,
            v_now, v_now + q.lease
        FROM ratchet.runs AS r
        INNER JOIN ratchet.queues AS q ON q.name = r.queue
        WHERE r.id IN (SELECT unnest(v_ids))
        ORDER BY r.id
        RETURNING t.*
    ),

    started AS (
        UPDATE ratchet.runs AS r SET
            status = 'running',
            started_at = coalesce(r.started_at, v_now)
        FROM held AS h
        WHERE r.id = h.run_id
        RETURNING r.*
    ),

    logged AS (
        INSERT INTO ratchet.history (run_id, at, kind, step, detail)
        SELECT
            h.run_id, v_now, 'claimed', null,
            jsonb_build_object(
                'task', h.id, 'worker', claim.worker, 'attempt', s.attempt,
                'lease_expires_at', h.lease_expires_at
            )
        FROM held AS h
        INNER JOIN started AS s ON s.id = h.run_id
        ORDER BY h.run_id
    )

    SELECT
        h.id, s.id, s.workflow, s.version, s.queue, s.input, s.attempt,
        coalesce(cp.checkpoints, '{}'::jsonb), coalesce(cp.names, '{}'::text[]),
        h.lease_expires_at, h.deadline
    FROM held AS h
    INNER JOIN started AS s ON s.id = h.run_id
    LEFT JOIN LATERAL (
        SELECT
            jsonb_object_agg(st.name, st.result) AS checkpoints,
            array_agg(st.name ORDER BY st.seq) AS names
        FROM ratchet.steps AS st
        WHERE st.run_id = s.id
    ) AS cp ON true
    ORDER BY s.priority, s.id;
END;
$$;

-- ==== sql/44_complete.sql ====

-- Completing a held task finishes its run with an output.

CREATE FUNCTION ratchet._complete(t ratchet.tasks, output jsonb, at timestamptz)
RETURNS void
LANGUAGE plpgsql
SET search_path = ''
AS $$
#variable_conflict use_column
BEGIN
    DELETE FROM ratchet.tasks AS x WHERE x.id = _complete.t.id;
    UPDATE ratchet.runs AS r SET
        status = 'completed',
        output = _complete.output,
        finished_at = _complete.at
    WHERE r.id = _complete.t.run_id;
    PERFORM ratchet._log(
        _complete.t.run_id, 'completed', null,
        jsonb_build_object('task', _complete.t.id), _complete.at
    );
    PERFORM ratchet._finished(_complete.t.run_id, _complete.at);
END;
$$;

CREATE FUNCTION ratchet.complete(task bigint, output jsonb DEFAULT null)
RETURNS void
LANGUAGE plpgsql
SET search_path = ''
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
    PERFORM ratchet._complete(v_t, complete.output, v_now);
END;
$$;

-- A batch of completions in one transaction (one commit for many tasks),
-- set-based so a batch costs a few statements, not a few per task.
-- Tasks no longer held are skipped, not raised: the returned ids say which
-- completed. outputs is a JSON array aligned with tasks, or null.
CREATE FUNCTION ratchet.complete_many(tasks bigint[], outputs jsonb DEFAULT null)
RETURNS SETOF bigint
LANGUAGE plpgsql
SET search_path = ''
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

    -- Lock the runs first (the engine's lock order), newest first.
    PERFORM 1 FROM ratchet.runs AS r
    WHERE r.id IN (
        SELECT t.run_id FROM ratchet.tasks AS t WHERE t.id IN (SELECT unnest(complete_many.tasks))
    )
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
        WHERE r.id = h.run_id
        RETURNING h.id AS task, h.run_id AS run
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

-- ==== sql/45_fail.sql ====

-- A worker reports a failed attempt of the body or of one step.
-- Returns 'retrying' (a new attempt is scheduled after backoff) or 'failed'.
CREATE FUNCTION ratchet.fail(
    task bigint,
    error jsonb,
    step text DEFAULT null,
    retryable boolean DEFAULT true,
    max_attempts integer DEFAULT null
)
RETURNS text
LANGUAGE plpgsql
SET search_path = ''
AS $$
#variable_conflict use_column
DECLARE
    v_now timestamptz := ratchet.now();
    v_t ratchet.tasks;
BEGIN
    IF fail.step IS NOT NULL THEN
        PERFORM ratchet._check_step(fail.step);
    END IF;
    IF fail.max_attempts IS NOT NULL AND fail.max_attempts < 1 THEN
        PERFORM ratchet._raise('RT005', format('max_attempts must be at least 1, got %s', fail.max_attempts));
    END IF;
    PERFORM ratchet._check_size('error', fail.error);
    v_t := ratchet._hold(fail.task, v_now);
    DELETE FROM ratchet.tasks AS t WHERE t.id = v_t.id;
    PERFORM ratchet._durability(v_t.queue);
    RETURN ratchet._after_failure(
        v_t.run_id, fail.step, coalesce(fail.error, '{}'::jsonb),
        coalesce(fail.retryable, true), fail.max_attempts, v_now
    );
END;
$$;

-- ==== sql/46_slot_freed.sql ====

-- When a task of a concurrency-limited queue ends, a slot frees up and work
-- that was held back is claimable now: tell the queue's workers. One
-- statement trigger covers every way a task ends (complete, fail, sleep,
-- await, cancel, reclaim, hand-back).
CREATE FUNCTION ratchet._slot_freed()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = ''
AS $$
BEGIN
    PERFORM pg_notify('ratchet_' || q.name, '')
    FROM ratchet.queues AS q
    WHERE
        q.concurrency IS NOT NULL
        AND q.notify
        AND NOT q.paused
        AND q.name IN (SELECT e.queue FROM ended AS e);
    RETURN null;
END;
$$;

CREATE TRIGGER tasks_slot_freed
AFTER DELETE ON ratchet.tasks
REFERENCING OLD TABLE AS ended
FOR EACH STATEMENT
EXECUTE FUNCTION ratchet._slot_freed();

-- ==== sql/50_checkpoint.sql ====

-- A step checkpoint: (run, step) -> result, written once. The first writer
-- wins; every later writer gets the stored result back.
CREATE FUNCTION ratchet.checkpoint(task bigint, step text, result jsonb)
RETURNS jsonb
LANGUAGE plpgsql
SET search_path = ''
-- Generic plans: re-planning these statements on every call costs more than running them.
SET plan_cache_mode = force_generic_plan
AS $$
#variable_conflict use_column
DECLARE
    v_now timestamptz := ratchet.now();
    v_t ratchet.tasks;
    v_stored jsonb;
BEGIN
    PERFORM ratchet._check_step(checkpoint.step);
    PERFORM ratchet._check_size('result', checkpoint.result);
    v_t := ratchet._hold(checkpoint.task, v_now);

    INSERT INTO ratchet.steps AS s (run_id, name, kind, result, created_at)
    VALUES (v_t.run_id, checkpoint.step, 'step', checkpoint.result, v_now)
    ON CONFLICT ON CONSTRAINT steps_pkey DO NOTHING;
    IF NOT FOUND THEN
        SELECT s.result INTO v_stored FROM ratchet.steps AS s
        WHERE s.run_id = v_t.run_id AND s.name = checkpoint.step;
        RETURN v_stored;
    END IF;
    PERFORM ratchet._durability(v_t.queue);
    PERFORM ratchet._log(v_t.run_id, 'step', checkpoint.step, null, v_now);
    RETURN checkpoint.result;
END;
$$;

-- The stored checkpoint of a step, if any (callers hold the run).
CREATE FUNCTION ratchet._step(run_id bigint, step text)
RETURNS ratchet.steps
LANGUAGE sql
STABLE
SET search_path = ''
AS $$
    SELECT s.* FROM ratchet.steps AS s
    WHERE s.run_id = _step.run_id AND s.name = _step.step;
$$;

-- ==== sql/51_sleep.sql ====

-- A durable timer. The step records its wake time on the first call, so a
-- replay of "sleep 5 minutes" does not restart the timer. While it sleeps the
-- run is only a pending row due at wake_at: no worker, thread or connection.
CREATE FUNCTION ratchet.sleep(task bigint, step text, wake_at timestamptz)
RETURNS boolean
LANGUAGE plpgsql
SET search_path = ''
AS $$
#variable_conflict use_column
DECLARE
    v_now timestamptz := ratchet.now();
    v_t ratchet.tasks;
    v_s ratchet.steps;
    v_wake timestamptz;
BEGIN
    PERFORM ratchet._check_step(sleep.step);
    IF sleep.wake_at IS NULL THEN
        PERFORM ratchet._raise('RT005', 'sleep: wake_at must not be null');
    END IF;
    v_t := ratchet._hold(sleep.task, v_now);

    v_s := ratchet._step(v_t.run_id, sleep.step);
    IF v_s.run_id IS NULL THEN
        v_wake := sleep.wake_at;
        INSERT INTO ratchet.steps (run_id, name, kind, result, created_at)
        VALUES (
            v_t.run_id, sleep.step, 'sleep',
            jsonb_build_object('wake_at', v_wake), v_now
        );
    ELSIF v_s.kind = 'sleep' THEN
        v_wake := (v_s.result ->> 'wake_at')::timestamptz;
    ELSE
        -- The name holds another kind of step: its value stands, carry on.
        RETURN false;
    END IF;

    IF v_wake <= v_now THEN
        IF v_s.run_id IS NULL THEN
            PERFORM ratchet._log(
                v_t.run_id, 'step', sleep.step, jsonb_build_object('wake_at', v_wake), v_now
            );
        END IF;
        RETURN false;
    END IF;

    DELETE FROM ratchet.tasks AS t WHERE t.id = v_t.id;
    UPDATE ratchet.runs AS r SET status = 'sleeping' WHERE r.id = v_t.run_id;
    PERFORM ratchet._pend(v_t.run_id, v_wake);
    PERFORM ratchet._durability(v_t.queue);
    PERFORM ratchet._log(
        v_t.run_id, 'sleeping', sleep.step, jsonb_build_object('wake_at', v_wake), v_now
    );
    RETURN true;
END;
$$;

-- ==== sql/52_events.sql ====

-- Events: stored first, matched later, so none is lost. A name may be sent
-- and awaited many times; each await consumes the oldest unconsumed one.

CREATE FUNCTION ratchet._check_event(event text)
RETURNS text
LANGUAGE plpgsql
IMMUTABLE
SET search_path = ''
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

CREATE FUNCTION ratchet.signal(run bigint, event text, payload jsonb DEFAULT null)
RETURNS void
LANGUAGE plpgsql
SET search_path = ''
AS $$
#variable_conflict use_column
DECLARE
    v_now timestamptz := ratchet.now();
    v_r ratchet.runs;
    v_e ratchet.events;
BEGIN
    PERFORM ratchet._check_event(signal.event);
    PERFORM ratchet._check_size('payload', signal.payload);
    SELECT * INTO v_r FROM ratchet.runs AS r WHERE r.id = signal.run FOR UPDATE;
    IF NOT FOUND THEN
        PERFORM ratchet._raise('RT006', format('unknown run %s', signal.run));
    END IF;
    IF v_r.finished_at IS NOT NULL THEN
        PERFORM ratchet._raise(
            'RT008', format('run %s is %s: it takes no more events', v_r.id, v_r.status)
        );
    END IF;
    INSERT INTO ratchet.events AS e (run_id, name, payload, sent_at)
    VALUES (v_r.id, signal.event, signal.payload, v_now)
    RETURNING e.* INTO v_e;
    PERFORM ratchet._durability(v_r.queue);
    PERFORM ratchet._log(
        v_r.id, 'signal', null, jsonb_build_object('event', signal.event, 'id', v_e.id), v_now
    );
    IF v_r.status = 'waiting' AND v_r.wait_event = signal.event THEN
        PERFORM ratchet._resume(
            v_r, 'event', ratchet._consume_event(v_r.id, v_r.wait_step, signal.event, v_now),
            v_now, 'woken'
        );
    END IF;
END;
$$;

-- Takes the oldest unconsumed event of that name for a step; null if none.
CREATE FUNCTION ratchet._consume_event(run_id bigint, step text, event text, at timestamptz)
RETURNS jsonb
LANGUAGE sql
SET search_path = ''
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
    WHERE e.id = o.id
    RETURNING jsonb_build_object('payload', e.payload);
$$;

CREATE FUNCTION ratchet.await_event(
    task bigint, step text, event text, timeout interval DEFAULT null
)
RETURNS jsonb
LANGUAGE plpgsql
SET search_path = ''
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
    IF await_event.timeout < interval '0' THEN
        PERFORM ratchet._raise('RT005', 'await_event: timeout must not be negative');
    END IF;
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

    DELETE FROM ratchet.tasks AS t WHERE t.id = v_t.id;
    UPDATE ratchet.runs AS r SET
        status = 'waiting',
        wait_step = await_event.step,
        wait_event = await_event.event,
        wait_until = v_now + await_event.timeout
    WHERE r.id = v_t.run_id;
    PERFORM ratchet._durability(v_t.queue);
    PERFORM ratchet._log(
        v_t.run_id, 'waiting', await_event.step,
        jsonb_build_object('event', await_event.event, 'until', v_now + await_event.timeout),
        v_now
    );
    RETURN null;
END;
$$;

-- ==== sql/53_children.sql ====

-- Child runs and fan-in. start_child is idempotent per (run, step);
-- await_runs suspends the run until the last awaited run finishes, and the
-- database itself wakes it (ratchet._finished).

CREATE FUNCTION ratchet.start_child(
    task bigint, step text, workflow text, input jsonb, options jsonb DEFAULT '{}'
)
RETURNS bigint
LANGUAGE plpgsql
SET search_path = ''
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

CREATE FUNCTION ratchet.await_runs(task bigint, step text, runs bigint[])
RETURNS jsonb
LANGUAGE plpgsql
SET search_path = ''
AS $$
#variable_conflict use_column
DECLARE
    v_now timestamptz := ratchet.now();
    v_t ratchet.tasks;
    v_s ratchet.steps;
    v_own bigint;
    v_missing bigint;
    v_open bigint[];
    v_result jsonb;
BEGIN
    PERFORM ratchet._check_step(await_runs.step);
    IF await_runs.runs IS NULL OR array_position(await_runs.runs, null) IS NOT NULL THEN
        PERFORM ratchet._raise('RT005', 'await_runs: runs must be an array of run ids without nulls');
    END IF;
    SELECT t.run_id INTO v_own FROM ratchet.tasks AS t WHERE t.id = await_runs.task;
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

    INSERT INTO ratchet.run_waits (awaited, waiter)
    SELECT o.id, v_t.run_id FROM unnest(v_open) AS o (id);
    DELETE FROM ratchet.tasks AS t WHERE t.id = v_t.id;
    UPDATE ratchet.runs AS r SET
        status = 'waiting',
        wait_step = await_runs.step,
        wait_runs = await_runs.runs
    WHERE r.id = v_t.run_id;
    PERFORM ratchet._durability(v_t.queue);
    PERFORM ratchet._log(
        v_t.run_id, 'waiting', await_runs.step,
        jsonb_build_object('runs', cardinality(await_runs.runs), 'open', cardinality(v_open)),
        v_now
    );
    RETURN null;
END;
$$;

-- ==== sql/60_cancel.sql ====

-- Cancel a run and, through parent links, all its live descendants. The
-- status changes at once; a worker holding one of them gets RT002 at its
-- next call. Returns false when the run had already finished.
CREATE FUNCTION ratchet.cancel(run bigint, reason text DEFAULT null)
RETURNS boolean
LANGUAGE plpgsql
SET search_path = ''
AS $$
#variable_conflict use_column
DECLARE
    v_now timestamptz := ratchet.now();
    v_root ratchet.runs;
    v_ids bigint[];
    v_id bigint;
    v_error jsonb;
BEGIN
    SELECT * INTO v_root FROM ratchet.runs AS r WHERE r.id = cancel.run;
    IF NOT FOUND THEN
        PERFORM ratchet._raise('RT006', format('unknown run %s', cancel.run));
    END IF;
    IF v_root.finished_at IS NOT NULL THEN
        RETURN false;
    END IF;

    -- Lock the whole tree newest first (children before parents: the order a
    -- finishing child takes), then cancel it oldest first so a parent is
    -- cancelled before its children's ends could wake it.
    WITH RECURSIVE tree AS (
        SELECT cancel.run AS id
        UNION
        SELECT c.id FROM ratchet.runs AS c INNER JOIN tree AS t ON c.parent = t.id
    )

    SELECT array_agg(l.id ORDER BY l.id) INTO v_ids
    FROM (
        SELECT r.id FROM ratchet.runs AS r
        WHERE r.id IN (SELECT t.id FROM tree AS t)
        ORDER BY r.id DESC
        FOR UPDATE
    ) AS l;

    FOREACH v_id IN ARRAY v_ids LOOP
        IF (SELECT r.finished_at FROM ratchet.runs AS r WHERE r.id = v_id) IS NOT NULL THEN
            CONTINUE;
        END IF;
        v_error := jsonb_build_object('cancelled', true, 'reason', cancel.reason);
        IF v_id <> cancel.run THEN
            v_error := v_error || jsonb_build_object('cancelled_with', cancel.run);
        END IF;
        PERFORM ratchet._fence_run(v_id, 'RT002', 'the run was cancelled', v_now);
        UPDATE ratchet.runs AS r SET
            status = 'cancelled',
            error = v_error,
            finished_at = v_now,
            wait_step = null,
            wait_event = null,
            wait_until = null,
            wait_runs = null
        WHERE r.id = v_id;
        PERFORM ratchet._log(v_id, 'cancelled', null, v_error, v_now);
        PERFORM ratchet._finished(v_id, v_now);
    END LOOP;
    RETURN true;
END;
$$;

-- ==== sql/61_retry.sql ====

-- Re-queue a failed or cancelled run. Its completed steps stay completed;
-- error, output and failure counts are cleared and the attempt goes up.
-- A run whose deadline has passed gets a new window of the same length.
CREATE FUNCTION ratchet.retry(run bigint)
RETURNS void
LANGUAGE plpgsql
SET search_path = ''
AS $$
#variable_conflict use_column
DECLARE
    v_now timestamptz := ratchet.now();
    v_r ratchet.runs;
BEGIN
    SELECT * INTO v_r FROM ratchet.runs AS r WHERE r.id = retry.run FOR UPDATE;
    IF NOT FOUND THEN
        PERFORM ratchet._raise('RT006', format('unknown run %s', retry.run));
    END IF;
    IF v_r.status NOT IN ('failed', 'cancelled') THEN
        PERFORM ratchet._raise(
            'RT008', format('run %s is %s: only failed or cancelled runs can be retried', v_r.id, v_r.status)
        );
    END IF;
    UPDATE ratchet.runs AS r SET
        status = 'queued',
        error = null,
        output = null,
        finished_at = null,
        failures = '{}',
        attempt = r.attempt + 1,
        deadline = CASE
            WHEN r.deadline <= v_now THEN v_now + (r.deadline - r.created_at)
            ELSE r.deadline
        END
    WHERE r.id = v_r.id;
    PERFORM ratchet._pend(v_r.id, v_now);
    PERFORM ratchet._log(
        v_r.id, 'retried', null, jsonb_build_object('previous_status', v_r.status), v_now
    );
    PERFORM ratchet._durability(v_r.queue);
    PERFORM ratchet._wake(v_r.queue);
END;
$$;

-- ==== sql/70_observe.sql ====

-- Read-only views of the engine for people and dashboards.

CREATE FUNCTION ratchet.run_history(run bigint)
RETURNS TABLE (seq integer, at timestamptz, kind text, step text, detail jsonb)
LANGUAGE plpgsql
STABLE
SET search_path = ''
AS $$
#variable_conflict use_column
BEGIN
    IF NOT EXISTS (SELECT 1 FROM ratchet.runs AS r WHERE r.id = run_history.run) THEN
        PERFORM ratchet._raise('RT006', format('unknown run %s', run_history.run));
    END IF;
    RETURN QUERY
    SELECT
        (row_number() OVER (ORDER BY h.id))::integer,
        h.at,
        h.kind,
        h.step,
        h.detail
    FROM ratchet.history AS h
    WHERE h.run_id = run_history.run
    ORDER BY h.id;
END;
$$;

-- Counts by status scan ratchet.runs (status is deliberately not indexed:
-- every transition rewrites it). Fine for an operator's view.
CREATE VIEW ratchet.queue_stats AS
WITH counts AS (
    SELECT
        r.queue,
        count(*) FILTER (WHERE r.status = 'queued') AS queued,
        count(*) FILTER (WHERE r.status = 'running') AS running,
        count(*) FILTER (WHERE r.status = 'sleeping') AS sleeping,
        count(*) FILTER (WHERE r.status = 'waiting') AS waiting,
        count(*) FILTER (WHERE r.status = 'completed') AS completed,
        count(*) FILTER (WHERE r.status = 'failed') AS failed,
        count(*) FILTER (WHERE r.status = 'cancelled') AS cancelled
    FROM ratchet.runs AS r
    GROUP BY r.queue
),

oldest AS (
    SELECT
        p.queue,
        min(p.due_at) AS due_at
    FROM ratchet.pending AS p
    INNER JOIN ratchet.runs AS r ON p.run_id = r.id
    WHERE r.status = 'queued'
    GROUP BY p.queue
)

SELECT
    q.name AS queue,
    q.paused,
    q.concurrency,
    coalesce(c.queued, 0) AS queued,
    coalesce(c.running, 0) AS running,
    coalesce(c.sleeping, 0) AS sleeping,
    coalesce(c.waiting, 0) AS waiting,
    coalesce(c.completed, 0) AS completed,
    coalesce(c.failed, 0) AS failed,
    coalesce(c.cancelled, 0) AS cancelled,
    CASE
        WHEN o.due_at IS NOT NULL THEN greatest(ratchet.now() - o.due_at, interval '0')
    END AS oldest_queued_age
FROM ratchet.queues AS q
LEFT JOIN counts AS c ON q.name = c.queue
LEFT JOIN oldest AS o ON q.name = o.queue;

COMMENT ON VIEW ratchet.queue_stats IS
'Per queue: runs by status, the age of the oldest queued run, the limit.';

-- ==== sql/80_tick.sql ====

-- One maintenance pass. Safe to call from many sessions at once: every part
-- skips rows another session holds, and each part is bounded per call.
CREATE FUNCTION ratchet.tick()
RETURNS jsonb
LANGUAGE plpgsql
SET search_path = ''
AS $$
#variable_conflict use_column
DECLARE
    v_now timestamptz := ratchet.now();
    v_batch constant integer := 1000;
    -- Purging must outpace a busy queue's completions between two ticks.
    v_purge_batch constant integer := 10000;
    v_reclaimed integer;
    v_timed_out integer := 0;
    v_woken integer := 0;
    v_deadlines integer;
    v_purged integer;
    v_r ratchet.runs;
BEGIN
    v_reclaimed := ratchet._reclaim(null, v_now, v_batch);

    -- Awaits whose timeout has passed record {"timed_out": true}.
    FOR v_r IN
        SELECT r.* FROM ratchet.runs AS r
        WHERE r.wait_until <= v_now AND r.wait_until IS NOT NULL
        ORDER BY r.id DESC
        LIMIT v_batch
        FOR UPDATE SKIP LOCKED
    LOOP
        IF v_r.status <> 'waiting' THEN
            CONTINUE;
        END IF;
        PERFORM ratchet._resume(v_r, 'event', '{"timed_out": true}'::jsonb, v_now, 'timed_out');
        v_timed_out := v_timed_out + 1;
    END LOOP;

    v_deadlines := ratchet._enforce_deadlines(v_now, v_batch);

    -- Sleepers past their wake time are claimable already; mark them queued
    -- so queue_stats shows them as ready work.
    WITH due AS (
        SELECT r.id FROM ratchet.runs AS r
        INNER JOIN ratchet.pending AS p ON p.run_id = r.id
        WHERE p.due_at <= v_now AND r.status = 'sleeping'
        ORDER BY r.id DESC
        LIMIT v_batch
        FOR UPDATE OF r SKIP LOCKED
    ),

    flipped AS (
        UPDATE ratchet.runs AS r SET status = 'queued'
        FROM due AS d WHERE r.id = d.id
        RETURNING r.id
    ),

    logged AS (
        INSERT INTO ratchet.history (run_id, at, kind, step, detail)
        SELECT f.id, v_now, 'woken', null, '{"kind": "sleep"}'::jsonb FROM flipped AS f
    )

    SELECT count(*) INTO v_woken FROM flipped;

    v_purged := ratchet._purge(v_now, v_purge_batch);

    RETURN jsonb_build_object(
        'reclaimed', v_reclaimed,
        'timed_out', v_timed_out,
        'woken', v_woken,
        'deadlines', v_deadlines,
        'purged', v_purged
    );
END;
$$;

-- Deletes finished runs older than their queue's retention, with their
-- history, steps, events and waits, a batch at a time.
CREATE FUNCTION ratchet._purge(at timestamptz, max_rows integer)
RETURNS integer
LANGUAGE plpgsql
SET search_path = ''
AS $$
#variable_conflict use_column
DECLARE
    v_ids bigint[];
BEGIN
    SELECT array_agg(d.id) INTO v_ids
    FROM (
        SELECT r.id FROM ratchet.runs AS r
        INNER JOIN ratchet.queues AS q ON q.name = r.queue
        WHERE r.finished_at IS NOT NULL AND r.finished_at < _purge.at - q.retention
        ORDER BY r.finished_at
        LIMIT _purge.max_rows
        FOR UPDATE OF r SKIP LOCKED
    ) AS d;
    IF v_ids IS NULL THEN
        RETURN 0;
    END IF;
    DELETE FROM ratchet.history AS h WHERE h.run_id = ANY(v_ids);
    DELETE FROM ratchet.steps AS s WHERE s.run_id = ANY(v_ids);
    DELETE FROM ratchet.events AS e WHERE e.run_id = ANY(v_ids);
    DELETE FROM ratchet.fenced_tasks AS f WHERE f.run_id = ANY(v_ids);
    DELETE FROM ratchet.run_waits AS w WHERE w.awaited = ANY(v_ids) OR w.waiter = ANY(v_ids);
    DELETE FROM ratchet.runs AS r WHERE r.id = ANY(v_ids);
    RETURN cardinality(v_ids);
END;
$$;

-- ==== sql/90_default_queue.sql ====

-- A queue named default exists after install.
SELECT ratchet.create_queue('default');
