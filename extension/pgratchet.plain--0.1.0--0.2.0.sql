-- pgratchet 0.2.0: plain upgrade from 0.1.0 for a plain install
-- GENERATED FILE, do not edit. Built by scripts/build.sh (make build) from sql/upgrade/0.1.0--0.2.0/*.sql + sql/*.sql;
-- edit the sources there and rebuild.
-- Apply with `pgratchet upgrade`, or as one transaction to a database whose ratchet schema
-- is version 0.1.0:  psql -v ON_ERROR_STOP=1 --single-transaction -f pgratchet.plain--0.1.0--0.2.0.sql

-- ==== sql/01_now.sql ====

-- Every engine decision about time reads ratchet.now(), so tests can move
-- the clock with SET ratchet.fake_now = '...' (principle 9). The fake clock
-- is honoured only for superusers, the engine's owner and members of
-- ratchet_admin, and only while the setting fake_clock is true: any other
-- session that sets it gets the real clock (defect D4), so it cannot reclaim
-- live leases, purge fresh runs or push retries into the future for others.
CREATE OR REPLACE FUNCTION ratchet.now()
RETURNS timestamptz
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_fake text := current_setting('ratchet.fake_now', true);
BEGIN
    IF v_fake IS NULL OR v_fake = '' THEN
        RETURN clock_timestamp();
    END IF;
    IF NOT (ratchet._setting('fake_clock') = 'true'::jsonb AND ratchet._is_admin(ratchet._caller())) THEN
        RETURN clock_timestamp();
    END IF;
    BEGIN
        RETURN v_fake::timestamptz;
    EXCEPTION WHEN invalid_datetime_format OR datetime_field_overflow THEN
        PERFORM ratchet._raise(
            'RT005', format('ratchet.fake_now %L is not a timestamp', v_fake),
            'SET ratchet.fake_now to an ISO 8601 timestamp, or RESET it'
        );
    END;
    RETURN null;
END;
$$;

COMMENT ON FUNCTION ratchet.now() IS
'The engine clock: ratchet.fake_now for admins when allowed, else clock_timestamp().';

-- ==== sql/01_version.sql ====

-- The engine version this schema was installed or upgraded to. The build
-- writes the default_version of pgratchet.control in place of the marker, so
-- the extension and the plain script report the same version, and
-- `pgratchet upgrade` knows which upgrade scripts a plain install needs.
CREATE OR REPLACE FUNCTION ratchet.version()
RETURNS text
LANGUAGE sql
IMMUTABLE
PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
RETURN '0.2.0';

COMMENT ON FUNCTION ratchet.version() IS
'The pgratchet version of this schema, e.g. 0.2.0.';

-- ==== sql/02_errors.sql ====

-- One place raises the engine's typed errors, so every message has the same
-- shape and every SQLSTATE is of class RT (see docs/sql-reference.md).
CREATE OR REPLACE FUNCTION ratchet._raise(code text, message text, hint text DEFAULT null)
RETURNS void
LANGUAGE plpgsql
IMMUTABLE
SET search_path = pg_catalog, pg_temp
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
CREATE OR REPLACE FUNCTION ratchet._check_name(kind text, value text)
RETURNS text
LANGUAGE plpgsql
IMMUTABLE
SET search_path = pg_catalog, pg_temp
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
CREATE OR REPLACE FUNCTION ratchet._check_step(step text)
RETURNS text
LANGUAGE plpgsql
IMMUTABLE
SET search_path = pg_catalog, pg_temp
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

-- Payloads are bounded (setting max_payload_bytes, default 1 MB) so one bad
-- caller cannot bloat the hot tables. Only an admin can change the limit.
CREATE OR REPLACE FUNCTION ratchet._check_size(what text, value jsonb)
RETURNS jsonb
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    v_limit bigint := (ratchet._setting('max_payload_bytes') #>> '{}')::bigint;
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
            'store large data elsewhere and pass a reference, or ask an admin to raise the limit (ratchet.configure(''max_payload_bytes'', ...))'
        );
    END IF;
    RETURN value;
END;
$$;

-- Unknown option keys are a typo more often than not: refuse them.
CREATE OR REPLACE FUNCTION ratchet._check_options(fn text, options jsonb, allowed text[])
RETURNS jsonb
LANGUAGE plpgsql
IMMUTABLE
SET search_path = pg_catalog, pg_temp
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

-- Every duration is bounded (docs/sql-reference.md, Limits): at least zero and
-- at most max_value, by its total in seconds and by each of its parts (months,
-- days, time), which a timestamp adds one by one: '6916 years 8 months
-- -2489913 days' totals under 100 years but is no short duration. Unbounded,
-- a duration overflows (22008) in whatever transition adds it to a time later
-- (defect D5). shown is the value as the caller wrote it, for the message.
CREATE OR REPLACE FUNCTION ratchet._check_duration(
    what text, value interval, max_value interval, shown text DEFAULT null
)
RETURNS interval
LANGUAGE plpgsql
IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
BEGIN
    IF value IS NULL THEN
        RETURN null;
    END IF;
    shown := coalesce(shown, value::text);
    IF length(shown) > 60 THEN
        shown := left(shown, 57) || '...';
    END IF;
    IF value < interval '0' OR extract(epoch FROM value) < 0 THEN
        PERFORM ratchet._raise(
            'RT005', format('%s must not be negative, got %s', what, shown)
        );
    END IF;
    IF greatest(
        extract(epoch FROM value),
        abs(extract(year FROM value) * 365.25 + extract(month FROM value) * 30) * 86400,
        abs(extract(day FROM value)) * 86400,
        abs(
            extract(hour FROM value) * 3600 + extract(minute FROM value) * 60
            + extract(second FROM value)
        )
    ) > extract(epoch FROM max_value) THEN
        PERFORM ratchet._raise(
            'RT005',
            format('%s must be at most %s, got %s', what, max_value, shown),
            format('give a duration from 0 to %s', max_value)
        );
    END IF;
    RETURN value;
END;
$$;

-- Durations are text that casts to interval ('30 seconds') or seconds, from
-- 0 to max_value.
CREATE OR REPLACE FUNCTION ratchet._opt_interval(
    key text, value jsonb, max_value interval DEFAULT interval '100 years'
)
RETURNS interval
LANGUAGE plpgsql
IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    v_secs numeric;
    v_result interval;
BEGIN
    IF value IS NULL OR value = 'null'::jsonb THEN
        RETURN null;
    END IF;
    IF jsonb_typeof(value) = 'number' THEN
        -- A JSON number may be far past what an interval holds (1e15, 1e400):
        -- clamp it to just outside the allowed range before building the
        -- interval, so the check below reports it with the number as given.
        v_secs := (value #>> '{}')::numeric;
        v_secs := CASE
            WHEN v_secs < 0 THEN -1
            WHEN v_secs > extract(epoch FROM max_value) THEN extract(epoch FROM max_value) + 1
            ELSE round(v_secs, 6)
        END;
        v_result := make_interval(secs => v_secs::double precision);
    ELSIF jsonb_typeof(value) = 'string' THEN
        BEGIN
            v_result := (value #>> '{}')::interval;
        EXCEPTION WHEN data_exception THEN
            -- not an interval, or one past its range ('1000000000 years')
            v_result := null;
        END;
    END IF;
    IF v_result IS NULL THEN
        PERFORM ratchet._raise(
            'RT005',
            format('option %s: %s is not a duration from 0 to %s', key, value, max_value),
            'give a duration as text that casts to interval (''30 seconds'') or as a number of seconds'
        );
    END IF;
    RETURN ratchet._check_duration(format('option %s', key), v_result, max_value, value::text);
END;
$$;

CREATE OR REPLACE FUNCTION ratchet._opt_number(
    key text, value jsonb, min_value double precision, max_value double precision
)
RETURNS double precision
LANGUAGE plpgsql
IMMUTABLE
SET search_path = pg_catalog, pg_temp
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

CREATE OR REPLACE FUNCTION ratchet._opt_int(
    key text, value jsonb, min_value bigint, max_value bigint
)
RETURNS bigint
LANGUAGE plpgsql
IMMUTABLE
SET search_path = pg_catalog, pg_temp
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

CREATE OR REPLACE FUNCTION ratchet._opt_bool(key text, value jsonb)
RETURNS boolean
LANGUAGE plpgsql
IMMUTABLE
SET search_path = pg_catalog, pg_temp
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

CREATE OR REPLACE FUNCTION ratchet._opt_timestamptz(key text, value jsonb)
RETURNS timestamptz
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
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
        EXCEPTION WHEN data_exception THEN
            -- not a timestamp, or one past its range (year 294277, offset +99)
            v_result := null;
        END;
    END IF;
    IF v_result IS NULL OR NOT isfinite(v_result) THEN
        PERFORM ratchet._raise(
            'RT005',
            format('option %s: %s is not a finite timestamp', key, value),
            'give a timestamp as ISO 8601 text, e.g. ''2030-01-01T00:00:00Z'''
        );
    END IF;
    RETURN v_result;
END;
$$;

-- Inputs are JSON objects; SQL NULL and JSON null mean {}.
CREATE OR REPLACE FUNCTION ratchet._input_object(what text, value jsonb)
RETURNS jsonb
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
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

-- ==== sql/04_roles.sql ====

-- The engine's group roles (cluster-wide, NOLOGIN). Application roles get
-- rights by membership in one of them plus per-queue grants
-- (ratchet.grant_queue); see docs/security.md. Existing roles are reused, so
-- a second database in the cluster, or a reinstall, finds them in place.
DO $$
DECLARE
    v_role text;
BEGIN
    FOREACH v_role IN ARRAY ARRAY[
        'ratchet_producer', 'ratchet_worker', 'ratchet_reader', 'ratchet_admin'
    ] LOOP
        IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles AS r WHERE r.rolname = v_role) THEN
            BEGIN
                EXECUTE pg_catalog.format('CREATE ROLE %I NOLOGIN', v_role);
            EXCEPTION WHEN insufficient_privilege THEN
                RAISE EXCEPTION USING
                    errcode = 'insufficient_privilege',
                    message = pg_catalog.format(
                        'pgratchet needs the role %s and may not create it', v_role
                    ),
                    hint = 'ask a role with CREATEROLE to run: CREATE ROLE ratchet_producer '
                    || 'NOLOGIN; CREATE ROLE ratchet_worker NOLOGIN; CREATE ROLE ratchet_reader '
                    || 'NOLOGIN; CREATE ROLE ratchet_admin NOLOGIN; then install again';
            END;
        END IF;
    END LOOP;
END;
$$;

-- ==== sql/05_settings.sql ====

-- Engine-wide limits and switches: the built-in defaults and the reader of
-- ratchet.settings (sql/install/05_settings_table.sql).

-- Hot-path helpers here and in sql/14_helpers.sql are plpgsql rather than
-- sql: a sql function with a SET clause is never inlined and is re-planned on
-- every call, while plpgsql keeps its plans for the session.

-- The built-in defaults (null for an unknown name).
CREATE OR REPLACE FUNCTION ratchet._setting_default(name text)
RETURNS jsonb
LANGUAGE plpgsql
IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
BEGIN
    RETURN CASE _setting_default.name
        WHEN 'max_payload_bytes' THEN '1048576'::jsonb
        WHEN 'max_buffered_events' THEN '1000'::jsonb
        WHEN 'fake_clock' THEN 'true'::jsonb
        WHEN 'notify_interval_ms' THEN '10'::jsonb
    END;
END;
$$;

-- The value in force: the admin's override, else the default.
CREATE OR REPLACE FUNCTION ratchet._setting(name text)
RETURNS jsonb
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    v_value jsonb;
BEGIN
    SELECT s.value INTO v_value FROM ratchet.settings AS s WHERE s.name = _setting.name;
    RETURN coalesce(v_value, ratchet._setting_default(_setting.name));
END;
$$;

-- ==== sql/upgrade/0.1.0--0.2.0/10_hardening.sql ====

-- 0.1.0 -> 0.2.0, state changed by the hardening release (issue 7): the
-- settings and per-queue rights tables, the owner of each worker, a queue's
-- priority limit, the per-workflow claim index, and run_waits rows that now
-- stay until the waiter resumes. The code (sql/*.sql) is re-applied after.

CREATE TABLE ratchet.settings (
    name text PRIMARY KEY CHECK (
        name IN ('max_payload_bytes', 'max_buffered_events', 'fake_clock')
    ),
    value jsonb NOT NULL,
    updated_at timestamptz NOT NULL
);

COMMENT ON TABLE ratchet.settings IS
'Engine settings changed from their defaults; see ratchet.configure().';

CREATE TABLE ratchet.queue_grants (
    queue text NOT NULL CHECK (queue = '*' OR queue ~ '^[a-z][a-z0-9_]{0,47}$'),
    role regrole NOT NULL,
    rights text[] NOT NULL CHECK (
        cardinality(rights) > 0
        AND rights <@ ARRAY['produce', 'work', 'read', 'manage']::text[]
    ),
    granted_at timestamptz NOT NULL,
    PRIMARY KEY (queue, role)
);

COMMENT ON TABLE ratchet.queue_grants IS
'Per-queue rights (produce, work, read, manage) of roles; see ratchet.grant_queue().';

ALTER TABLE ratchet.queues ADD COLUMN priority_limit smallint;

-- 0.1.0 did not record who registered a worker. Its workers become the
-- schema owner's: an admin's, so their ids keep working for the roles 0.1.0
-- let use them only once those roles are admins; others register again.
ALTER TABLE ratchet.workers ADD COLUMN owner regrole;
UPDATE ratchet.workers AS w SET owner = n.nspowner::regrole
FROM pg_catalog.pg_namespace AS n
WHERE n.nspname = 'ratchet';
ALTER TABLE ratchet.workers ALTER COLUMN owner SET NOT NULL;

CREATE INDEX pending_claim_by_workflow
ON ratchet.pending (queue, workflow, priority, due_at, run_id);

-- 0.1.0 deleted a run_waits row when the awaited run finished; 0.2.0 keeps
-- every row until the waiter resumes (so purge keeps the awaited outcome).
-- Restore the rows of finished runs that a waiting run still awaits.
INSERT INTO ratchet.run_waits (awaited, waiter)
SELECT
    a.awaited,
    r.id
FROM ratchet.runs AS r
CROSS JOIN LATERAL unnest(r.wait_runs) AS a (awaited)
WHERE r.status = 'waiting' AND r.wait_runs IS NOT NULL
ON CONFLICT DO NOTHING;

-- Replaced by bounded duration checks (ratchet._check_duration).
DROP FUNCTION ratchet._opt_interval(text, jsonb);

-- ==== sql/upgrade/0.1.0--0.2.0/11_slices.sql ====

-- 0.1.0 -> 0.2.0: runs, history, steps and events become partitioned by run
-- id (sql/16_slices.sql), and the existing tables become slice 0 as they
-- are: attached, not copied. Every 0.1.0 run id is below 2^32, slice 0's
-- end. The file sorts before the code (sql/*.sql), which is re-applied after
-- it: functions that take or return a row of these tables (_resume takes a
-- ratchet.runs row, _step returns a ratchet.steps row) are dropped here and
-- made again for the new tables' row types.

DROP FUNCTION ratchet._resume(ratchet.runs, text, jsonb, timestamptz, text);
DROP FUNCTION ratchet._step(bigint, text);
-- Replaced by slice retirement (ratchet._retire_slices).
DROP FUNCTION ratchet._purge(timestamptz, integer);

-- A partitioned table cannot keep these 0.1.0 indexes as they are: a unique
-- index must contain the partition key (idempotency keys are serialised by
-- ratchet._start instead), events' key gains the run id (and makes events_run
-- redundant), and retention scans (queue, finished_at) per slice.
CREATE INDEX runs_s0_workflow_idempotency_key_idx ON ratchet.runs (workflow, idempotency_key)
WHERE idempotency_key IS NOT NULL;
DROP INDEX ratchet.runs_idempotency_key;
DROP INDEX ratchet.runs_finished_at;
CREATE INDEX runs_s0_queue_finished_at_idx ON ratchet.runs (queue, finished_at);
ALTER TABLE ratchet.events DROP CONSTRAINT events_pkey;
ALTER TABLE ratchet.events ADD CONSTRAINT events_s0_pkey PRIMARY KEY (run_id, id);
DROP INDEX ratchet.events_run;

-- The other indexes keep their data under the names a new partition's
-- indexes get. IF EXISTS: the wait columns' index may have moved already.
ALTER INDEX ratchet.runs_pkey RENAME TO runs_s0_pkey;
ALTER INDEX ratchet.runs_parent RENAME TO runs_s0_parent_idx;
ALTER INDEX ratchet.runs_open_deadline RENAME TO runs_s0_deadline_idx;
ALTER INDEX IF EXISTS ratchet.runs_wait_until RENAME TO runs_s0_wait_until_idx;
ALTER INDEX ratchet.history_pkey RENAME TO history_s0_pkey;
ALTER INDEX ratchet.steps_pkey RENAME TO steps_s0_pkey;
ALTER INDEX ratchet.events_unconsumed RENAME TO events_s0_run_id_name_id_idx;

-- Each table: keep its identity sequence's position, rename it to <table>_s0,
-- make the partitioned parent with the same columns, defaults and checks and
-- an identity of the same name, move the table comment to the parent.
DO $$
DECLARE
    v_table text;
    v_column text;
    v_key text;
    v_last bigint;
    v_called boolean;
BEGIN
    FOR v_table, v_column, v_key IN
        VALUES ('runs', 'id', 'id'), ('history', 'id', 'run_id'),
        ('steps', 'seq', 'run_id'), ('events', 'id', 'run_id')
    LOOP
        EXECUTE format('SELECT last_value, is_called FROM ratchet.%I', v_table || '_' || v_column || '_seq')
        INTO v_last, v_called;
        -- Dropping the identity drops its sequence; as a member of the
        -- extension it would leave a dangling entry in pg_dump's list.
        IF EXISTS (SELECT 1 FROM pg_catalog.pg_extension AS x WHERE x.extname = 'pgratchet') THEN
            EXECUTE format(
                'ALTER EXTENSION pgratchet DROP SEQUENCE ratchet.%I', v_table || '_' || v_column || '_seq'
            );
        END IF;
        EXECUTE format('ALTER TABLE ratchet.%I ALTER COLUMN %I DROP IDENTITY', v_table, v_column);
        EXECUTE format('ALTER TABLE ratchet.%I RENAME TO %I', v_table, v_table || '_s0');
        EXECUTE format(
            'CREATE TABLE ratchet.%I (LIKE ratchet.%I INCLUDING DEFAULTS INCLUDING CONSTRAINTS) '
            'PARTITION BY RANGE (%I)',
            v_table, v_table || '_s0', v_key
        );
        EXECUTE format(
            'ALTER TABLE ratchet.%I ALTER COLUMN %I ADD GENERATED ALWAYS AS IDENTITY',
            v_table, v_column
        );
        PERFORM pg_catalog.setval(
            format('ratchet.%I', v_table || '_' || v_column || '_seq'), v_last, v_called
        );
        EXECUTE format(
            'COMMENT ON TABLE ratchet.%I IS %L', v_table,
            pg_catalog.obj_description(format('ratchet.%I', v_table || '_s0')::regclass, 'pg_class')
        );
        EXECUTE format('COMMENT ON TABLE ratchet.%I IS NULL', v_table || '_s0');
    END LOOP;
END;
$$;

-- The parents' keys and indexes, as in sql/install/; attaching slice 0 below
-- adopts its matching indexes instead of building new ones.
ALTER TABLE ratchet.runs ADD PRIMARY KEY (id);
CREATE INDEX runs_idempotency_key ON ratchet.runs (workflow, idempotency_key)
WHERE idempotency_key IS NOT NULL;
CREATE INDEX runs_parent ON ratchet.runs (parent) WHERE parent IS NOT NULL;
CREATE INDEX runs_retention ON ratchet.runs (queue, finished_at);
CREATE INDEX runs_open_deadline ON ratchet.runs (deadline)
WHERE deadline IS NOT NULL AND finished_at IS NULL;
DO $$
BEGIN
    IF to_regclass('ratchet.runs_s0_wait_until_idx') IS NOT NULL THEN
        CREATE INDEX runs_wait_until ON ratchet.runs (wait_until) WHERE wait_until IS NOT NULL;
    END IF;
END;
$$;
ALTER TABLE ratchet.history ADD PRIMARY KEY (run_id, id);
ALTER TABLE ratchet.steps ADD PRIMARY KEY (run_id, name);
ALTER TABLE ratchet.events ADD PRIMARY KEY (run_id, id);
CREATE INDEX events_unconsumed ON ratchet.events (run_id, name, id)
WHERE consumed_at IS NULL;

-- Attaching reads each table once to check its ids lie in slice 0.
DO $$
DECLARE
    v_table text;
BEGIN
    FOREACH v_table IN ARRAY ARRAY['runs', 'history', 'steps', 'events'] LOOP
        EXECUTE format(
            'ALTER TABLE ratchet.%I ATTACH PARTITION ratchet.%I FOR VALUES FROM (0) TO (4294967296)',
            v_table, v_table || '_s0'
        );
    END LOOP;
END;
$$;

CREATE TABLE ratchet.slices (
    slice integer PRIMARY KEY CHECK (slice >= 0),
    lo bigint NOT NULL,
    hi bigint NOT NULL,
    opened_at timestamptz NOT NULL,
    CHECK (lo >= 0 AND hi > lo)
);

COMMENT ON TABLE ratchet.slices IS
'Slices of run ids [lo, hi), each with its own partitions of runs, history, steps, events.';

-- Slice 0 is open from the upgrade on: its runs of 0.1.0 leave with it.
INSERT INTO ratchet.slices (slice, lo, hi, opened_at)
VALUES (0, 0, 4294967296, clock_timestamp());

-- Readers read runs through the parent and its row policy
-- (sql/95_privileges.sql); nobody but the owner and admins reads a partition.
DROP POLICY IF EXISTS runs_readable ON ratchet.runs_s0;
ALTER TABLE ratchet.runs_s0 DISABLE ROW LEVEL SECURITY;
REVOKE ALL ON ratchet.runs_s0, ratchet.history_s0, ratchet.steps_s0, ratchet.events_s0
FROM public, ratchet_producer, ratchet_worker, ratchet_reader, ratchet_admin;

-- ==== sql/14_helpers.sql ====

-- Small helpers every transition shares.

-- One audit entry; callers write it in the same transaction as the change.
CREATE OR REPLACE FUNCTION ratchet._log(
    run_id bigint, kind text, step text, detail jsonb, at timestamptz
)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
BEGIN
    INSERT INTO ratchet.history (run_id, at, kind, step, detail)
    VALUES (_log.run_id, _log.at, _log.kind, _log.step, _log.detail);
END;
$$;

-- Calls that count other runs' states or lock a set of runs (claim's free
-- slots, fan-in's "last one finished", cancel's tree, reclaim) must see what
-- committed before each statement. Under REPEATABLE READ or SERIALIZABLE
-- they would read an older snapshot: a concurrency limit overrun, a parent
-- that two finishing children both leave asleep, a child that escapes a
-- cancel. Such calls refuse to run there (RT005). READ UNCOMMITTED is READ
-- COMMITTED in PostgreSQL.
CREATE OR REPLACE FUNCTION ratchet._require_read_committed(fn text)
RETURNS void
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
BEGIN
    IF current_setting('transaction_isolation') NOT IN ('read committed', 'read uncommitted') THEN
        PERFORM ratchet._raise(
            'RT005',
            format(
                '%s needs READ COMMITTED isolation, this transaction is %s',
                _require_read_committed.fn, upper(current_setting('transaction_isolation'))
            ),
            'call it in a READ COMMITTED transaction (the default): under a snapshot taken '
            || 'earlier the engine cannot see what other sessions just committed'
        );
    END IF;
END;
$$;

-- NOTIFY is a hint, one channel per queue, and coalesced. PostgreSQL lets
-- only one transaction that queued a NOTIFY commit at a time: it holds a
-- database-wide lock from before its commit record until that record is
-- flushed. A NOTIFY per start() therefore puts concurrent producers in single
-- file (no group commit). So a queue sends at most one wake-up per
-- notify_interval_ms (0: every time), decided through its two queue_signals
-- rows (slots):
-- * read the newest stamp plainly: within the interval, nothing to do (the
--   common case under load: no lock, no write);
-- * else lock slot 0, SKIP LOCKED, stamp it and notify: of the producers
--   that find the queue stale at once, one notifies, the others rely on it;
-- * slot 0 locked and nothing stamped for two intervals: its holder is not
--   just committing but a long open transaction (its NOTIFY goes out only at
--   its commit), so take slot 1 the same way, to keep the queue announced;
-- * both slots locked: both holders notify when they commit, nothing to do.
-- No producer ever waits, and at most two notifiers of a queue are in
-- flight, whatever the load (a fallback that notified more while commits
-- were slow would feed on itself: NOTIFY is what makes them slow). A holder
-- that rolls back takes its stamp with it: the next producer notifies. A
-- REPEATABLE READ or SERIALIZABLE producer only reads. The payload is the
-- interval in ms: the window in which runs may become ready without a
-- notification of their own, so a woken worker claims once more at its end
-- (python_client/pgratchet/worker.py).
CREATE OR REPLACE FUNCTION ratchet._wake(queue text)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    v_ms integer;
    v_interval interval;
    v_now timestamptz;
    v_last timestamptz;
    v_slot smallint;
BEGIN
    IF NOT EXISTS (
        SELECT 1 FROM ratchet.queues AS q
        WHERE q.name = _wake.queue AND q.notify AND NOT q.paused
    ) THEN
        RETURN;
    END IF;
    -- Every start() runs this: the common case (a recent stamp) is decided by
    -- one statement (the setting read inline, not through ratchet._setting,
    -- and the clock without calling ratchet.now() unless it is faked).
    SELECT
        coalesce(
            (
                SELECT (st.value #>> '{}')::integer FROM ratchet.settings AS st
                WHERE st.name = 'notify_interval_ms'
            ),
            (ratchet._setting_default('notify_interval_ms') #>> '{}')::integer
        ),
        CASE
            WHEN coalesce(current_setting('ratchet.fake_now', true), '') = ''
                THEN clock_timestamp()
            ELSE ratchet.now()
        END,
        (SELECT max(s.notified_at) FROM ratchet.queue_signals AS s WHERE s.queue = _wake.queue)
    INTO v_ms, v_now, v_last;
    v_interval := v_ms * interval '1 millisecond';
    -- Recent on either side of now: a clock that went back (the fake clock in
    -- tests) must not silence a queue.
    IF v_last > v_now - v_interval AND v_last < v_now + v_interval THEN
        RETURN;
    END IF;
    -- Interval 0, or no slots (deleted by hand; create_queue restores them):
    -- notify uncoalesced. Under REPEATABLE READ or SERIALIZABLE, locking a row
    -- stamped since the snapshot would raise 40001: such a producer only reads.
    IF
        v_ms > 0
        AND v_last IS NOT NULL
        AND current_setting('transaction_isolation') IN ('read committed', 'read uncommitted')
    THEN
        -- Slot 1 only when nothing was stamped for two intervals.
        SELECT s.slot INTO v_slot
        FROM ratchet.queue_signals AS s
        WHERE
            s.queue = _wake.queue
            AND (
                s.slot = 0
                OR NOT (v_last > v_now - 2 * v_interval AND v_last < v_now + v_interval)
            )
        ORDER BY s.slot
        LIMIT 1
        FOR UPDATE SKIP LOCKED;
        IF NOT FOUND THEN
            RETURN;
        END IF;
        UPDATE ratchet.queue_signals AS s SET notified_at = v_now
        WHERE s.queue = _wake.queue AND s.slot = v_slot;
    END IF;
    PERFORM pg_notify('ratchet_' || _wake.queue, v_ms::text);
END;
$$;

-- Transitions on an async queue commit without waiting for the WAL flush.
CREATE OR REPLACE FUNCTION ratchet._durability(queue text)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
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
CREATE OR REPLACE FUNCTION ratchet._pend(run_id bigint, due_at timestamptz)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
BEGIN
    INSERT INTO ratchet.pending (run_id, queue, workflow, priority, due_at)
    SELECT r.id, r.queue, r.workflow, r.priority, _pend.due_at
    FROM ratchet.runs AS r
    WHERE r.id = _pend.run_id;
END;
$$;

-- The queue's policy with every option at its default.
CREATE OR REPLACE FUNCTION ratchet._queue_defaults(name text, at timestamptz)
RETURNS ratchet.queues
LANGUAGE sql
IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT ROW(
        _queue_defaults.name, null, interval '30 seconds', 5,
        interval '1 second', 2, interval '10 minutes', 0.2,
        'sync', true, false, interval '7 days',
        _queue_defaults.at, _queue_defaults.at, null
    )::ratchet.queues;
$$;

-- Retry delay for the n-th failure: initial * factor^(n-1), capped at max,
-- then spread by +/- jitter. The cap is applied in float seconds, comparing
-- logarithms, before an interval is built: factor^(n-1) grows past what an
-- interval (or a double) can hold long before n reaches a queue's attempt
-- limit, and an overflow here would stop every tick() (defect D1).
CREATE OR REPLACE FUNCTION ratchet._backoff(q ratchet.queues, failures integer)
RETURNS interval
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    v_initial double precision := extract(epoch FROM _backoff.q.backoff_initial);
    v_max double precision := extract(epoch FROM _backoff.q.backoff_max);
    v_steps integer := greatest(coalesce(_backoff.failures, 1) - 1, 0);
    v_secs double precision;
BEGIN
    IF v_initial <= 0 OR v_max <= 0 THEN
        v_secs := least(greatest(v_initial, 0), greatest(v_max, 0));
    ELSIF _backoff.q.backoff_factor <= 1 OR v_steps = 0 THEN
        v_secs := least(v_initial, v_max);
    ELSIF v_steps * ln(_backoff.q.backoff_factor) >= ln(v_max / v_initial) THEN
        v_secs := v_max;
    ELSE
        v_secs := v_initial * power(_backoff.q.backoff_factor, v_steps);
    END IF;
    v_secs := v_secs * (1 + _backoff.q.backoff_jitter * (2 * random() - 1));
    RETURN make_interval(secs => greatest(v_secs, 0));
END;
$$;

-- ==== sql/15_access.sql ====

-- Who may do what. The public functions run as the engine's owner (SECURITY
-- DEFINER), so every check below is about the caller: the role the session
-- acts as (SET ROLE, else the login role). Rights come from two layers:
-- EXECUTE on the functions, through membership in ratchet_producer,
-- ratchet_worker, ratchet_reader or ratchet_admin; and per-queue rights
-- granted with ratchet.grant_queue. Refusals raise SQLSTATE 42501.

-- The role the caller acts as. Inside a SECURITY DEFINER function
-- current_user is the owner; the GUC "role" still holds what SET ROLE chose
-- (Postgres checked the membership when it was set), else the login role.
CREATE OR REPLACE FUNCTION ratchet._caller()
RETURNS regrole
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_role text := current_setting('role');
BEGIN
    IF v_role = 'none' THEN
        v_role := session_user;
    END IF;
    RETURN to_regrole(quote_ident(v_role));
END;
$$;

-- Superusers, the engine's owner and members of ratchet_admin may do anything.
-- Takes the caller (from ratchet._caller()) so a check computes it once.
CREATE OR REPLACE FUNCTION ratchet._is_admin(caller regrole)
RETURNS boolean
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
BEGIN
    RETURN _is_admin.caller = current_user::regrole
        OR coalesce((SELECT r.rolsuper FROM pg_roles AS r WHERE r.oid = _is_admin.caller), false)
        OR pg_has_role(_is_admin.caller, 'ratchet_admin', 'MEMBER');
END;
$$;

-- May the caller use this right on this queue? Any right on a queue lets
-- the caller read its runs; manage does not imply produce or work.
CREATE OR REPLACE FUNCTION ratchet._can(queue text, want text)
RETURNS boolean
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    v_caller regrole := ratchet._caller();
BEGIN
    IF ratchet._is_admin(v_caller) THEN
        RETURN true;
    END IF;
    RETURN EXISTS (
        SELECT 1 FROM ratchet.queue_grants AS g
        WHERE
            g.queue IN (_can.queue, '*')
            AND (_can.want = 'read' OR _can.want = ANY(g.rights))
            AND pg_has_role(v_caller, g.role, 'MEMBER')
    );
END;
$$;

-- The queues the caller may read (every queue for an admin): the row filter
-- of ratchet.runs and ratchet.queue_stats, evaluated once per query.
CREATE OR REPLACE FUNCTION ratchet._readable_queues()
RETURNS text[]
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_caller regrole := ratchet._caller();
BEGIN
    IF ratchet._is_admin(v_caller) THEN
        RETURN ARRAY(SELECT q.name FROM ratchet.queues AS q);
    END IF;
    RETURN ARRAY(
        SELECT q.name FROM ratchet.queues AS q
        WHERE EXISTS (
            SELECT 1 FROM ratchet.queue_grants AS g
            WHERE g.queue IN (q.name, '*') AND pg_has_role(v_caller, g.role, 'MEMBER')
        )
    );
END;
$$;

-- Raises 42501 unless the caller has the right on the queue.
CREATE OR REPLACE FUNCTION ratchet._authorize(queue text, want text)
RETURNS void
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    v_caller regrole;
BEGIN
    IF NOT ratchet._can(_authorize.queue, _authorize.want) THEN
        v_caller := ratchet._caller();
        RAISE EXCEPTION USING
            errcode = 'insufficient_privilege',
            message = format(
                'role %s has no %s right on queue %L',
                v_caller, _authorize.want, _authorize.queue
            ),
            hint = format(
                'an admin can grant it: SELECT ratchet.grant_queue(%L, %L, ''{%s}'')',
                _authorize.queue, v_caller, _authorize.want
            );
    END IF;
END;
$$;

-- Raises 42501 unless the caller is an admin.
CREATE OR REPLACE FUNCTION ratchet._authorize_admin(what text)
RETURNS void
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    v_caller regrole := ratchet._caller();
BEGIN
    IF NOT ratchet._is_admin(v_caller) THEN
        RAISE EXCEPTION USING
            errcode = 'insufficient_privilege',
            message = format('%s: only ratchet_admin may do this, not %s', what, v_caller),
            hint = 'GRANT ratchet_admin TO the role, or ask an admin';
    END IF;
END;
$$;

-- Raises 42501 unless the caller is the owner given (a worker's role) or an
-- admin.
CREATE OR REPLACE FUNCTION ratchet._authorize_owner(owner regrole, what text)
RETURNS void
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    v_caller regrole := ratchet._caller();
BEGIN
    IF _authorize_owner.owner IS DISTINCT FROM v_caller AND NOT ratchet._is_admin(v_caller) THEN
        RAISE EXCEPTION USING
            errcode = 'insufficient_privilege',
            message = format(
                '%s belongs to role %s, not to %s',
                _authorize_owner.what, _authorize_owner.owner, v_caller
            ),
            hint = 'a worker id and its tasks may only be used by the role that registered the worker';
    END IF;
END;
$$;

-- Raises 42501 unless the caller owns this worker (or is an admin): the one
-- check every task call makes on the worker that holds its task.
CREATE OR REPLACE FUNCTION ratchet._authorize_worker(worker bigint, what text)
RETURNS void
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
BEGIN
    PERFORM ratchet._authorize_owner(
        (SELECT w.owner FROM ratchet.workers AS w WHERE w.id = _authorize_worker.worker),
        _authorize_worker.what
    );
END;
$$;

-- Gives a role rights on a queue ('*' = every queue); adds to what it has.
CREATE OR REPLACE FUNCTION ratchet.grant_queue(queue text, role text, rights text[])
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    v_role regrole;
    v_bad text;
BEGIN
    PERFORM ratchet._authorize_admin('grant_queue');
    IF grant_queue.queue IS DISTINCT FROM '*' THEN
        PERFORM ratchet._check_name('queue', grant_queue.queue);
        IF NOT EXISTS (SELECT 1 FROM ratchet.queues AS q WHERE q.name = grant_queue.queue) THEN
            PERFORM ratchet._raise(
                'RT004', format('unknown queue %L', grant_queue.queue),
                'create it first with ratchet.create_queue(), or grant on ''*'' for every queue'
            );
        END IF;
    END IF;
    SELECT r.oid::regrole INTO v_role FROM pg_roles AS r WHERE r.rolname = grant_queue.role;
    IF v_role IS NULL THEN
        PERFORM ratchet._raise('RT005', format('unknown role %L', grant_queue.role));
    END IF;
    IF grant_queue.rights IS NULL OR cardinality(grant_queue.rights) = 0 THEN
        PERFORM ratchet._raise(
            'RT005', 'grant_queue: give at least one right',
            'rights are produce, work, read and manage'
        );
    END IF;
    SELECT u.x INTO v_bad FROM unnest(grant_queue.rights) AS u (x)
    WHERE u.x IS NULL OR u.x <> ALL(ARRAY['produce', 'work', 'read', 'manage'])
    LIMIT 1;
    IF FOUND THEN
        PERFORM ratchet._raise(
            'RT005', format('grant_queue: unknown right %L', v_bad),
            'rights are produce, work, read and manage'
        );
    END IF;
    INSERT INTO ratchet.queue_grants AS g (queue, role, rights, granted_at)
    VALUES (
        grant_queue.queue, v_role,
        ARRAY(SELECT DISTINCT u.x FROM unnest(grant_queue.rights) AS u (x) ORDER BY u.x),
        ratchet.now()
    )
    ON CONFLICT ON CONSTRAINT queue_grants_pkey DO UPDATE SET
        rights = ARRAY(
            SELECT DISTINCT u.x FROM unnest(g.rights || excluded.rights) AS u (x) ORDER BY u.x
        ),
        granted_at = excluded.granted_at;
END;
$$;

-- Takes rights back (all of them when rights is null). Returns whether the
-- role had any of them.
CREATE OR REPLACE FUNCTION ratchet.revoke_queue(queue text, role text, rights text[] DEFAULT null)
RETURNS boolean
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    v_role regrole;
    v_had text[];
BEGIN
    PERFORM ratchet._authorize_admin('revoke_queue');
    SELECT r.oid::regrole INTO v_role FROM pg_roles AS r WHERE r.rolname = revoke_queue.role;
    IF v_role IS NULL THEN
        -- A dropped role's grants show its number in queue_grants: revoke by it.
        SELECT g.role INTO v_role FROM ratchet.queue_grants AS g
        WHERE g.role::oid::text = revoke_queue.role
        LIMIT 1;
    END IF;
    IF v_role IS NULL THEN
        PERFORM ratchet._raise('RT005', format('unknown role %L', revoke_queue.role));
    END IF;
    SELECT g.rights INTO v_had FROM ratchet.queue_grants AS g
    WHERE g.queue = revoke_queue.queue AND g.role = v_role
    FOR UPDATE;
    IF v_had IS NULL THEN
        RETURN false;
    END IF;
    IF revoke_queue.rights IS NULL
        OR v_had <@ revoke_queue.rights THEN
        DELETE FROM ratchet.queue_grants AS g
        WHERE g.queue = revoke_queue.queue AND g.role = v_role;
    ELSE
        UPDATE ratchet.queue_grants AS g SET
            rights = ARRAY(
                SELECT u.x FROM unnest(g.rights) AS u (x)
                WHERE u.x <> ALL(revoke_queue.rights) ORDER BY u.x
            )
        WHERE g.queue = revoke_queue.queue AND g.role = v_role;
    END IF;
    RETURN revoke_queue.rights IS NULL OR v_had && revoke_queue.rights;
END;
$$;

-- Changes an engine setting (admin only); JSON null goes back to the default.
-- Returns the value now in force.
CREATE OR REPLACE FUNCTION ratchet.configure(name text, value jsonb)
RETURNS jsonb
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    v_value jsonb := nullif(configure.value, 'null'::jsonb);
BEGIN
    PERFORM ratchet._authorize_admin('configure');
    IF configure.name IS NULL OR ratchet._setting_default(configure.name) IS NULL THEN
        PERFORM ratchet._raise(
            'RT005', format('unknown setting %L', configure.name),
            'settings are max_payload_bytes, max_buffered_events, fake_clock and '
            || 'notify_interval_ms'
        );
    END IF;
    IF v_value IS NULL THEN
        DELETE FROM ratchet.settings AS s WHERE s.name = configure.name;
        RETURN ratchet._setting(configure.name);
    END IF;
    CASE configure.name
        WHEN 'max_payload_bytes' THEN
            v_value := to_jsonb(ratchet._opt_int(configure.name, v_value, 1024, 67108864));
        WHEN 'max_buffered_events' THEN
            v_value := to_jsonb(ratchet._opt_int(configure.name, v_value, 1, 1000000));
        WHEN 'notify_interval_ms' THEN
            v_value := to_jsonb(ratchet._opt_int(configure.name, v_value, 0, 1000));
        ELSE
            v_value := to_jsonb(ratchet._opt_bool(configure.name, v_value));
    END CASE;
    INSERT INTO ratchet.settings AS s (name, value, updated_at)
    VALUES (configure.name, v_value, ratchet.now())
    ON CONFLICT ON CONSTRAINT settings_pkey DO UPDATE SET
        value = excluded.value,
        updated_at = excluded.updated_at;
    RETURN v_value;
END;
$$;

-- ==== sql/16_slices.sql ====

-- Retention by slices. Runs, history, steps and events are partitioned by run
-- id with the same bounds: slice k holds the run ids [lo, hi) of its row in
-- ratchet.slices (2^28 of them, following slice k-1's) and its partitions are
-- runs_s<k>, history_s<k>, steps_s<k>, events_s<k>. The newest slice is
-- open. Once it is older than the slice interval (or half its ids are used),
-- tick opens the next one and restarts the run id sequence at its first id,
-- so new runs land there at once. A closed slice whose runs are all finished
-- and past their queue's retention (and awaited by no waiting run) leaves
-- by DROP TABLE; one that still keeps a few runs is compacted in place:
-- those runs' rows are copied out, the partitions truncated, the rows put
-- back with the same ids. Neither touches the rest of the slice row by row.
-- See docs/architecture.md (design) and docs/operations.md (granularity).

-- Creates slice n's four partitions and its row: 2^28 run ids from where the
-- previous slice ends (slice 0 of a database upgraded from 0.1.0 is wider:
-- it holds every id 0.1.0 gave out). The partitions are made
-- apart and then attached: ATTACH locks the parent in SHARE UPDATE EXCLUSIVE
-- mode only, so runs keep flowing (CREATE TABLE ... PARTITION OF would take
-- ACCESS EXCLUSIVE on the parent).
CREATE OR REPLACE FUNCTION ratchet._create_slice(slice integer, opened_at timestamptz)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    v_lo constant bigint := coalesce((SELECT max(s.hi) FROM ratchet.slices AS s), 0);
    v_hi constant bigint := v_lo + 268435456;
    v_table text;
    v_part text;
BEGIN
    FOREACH v_table IN ARRAY ARRAY['runs', 'history', 'steps', 'events'] LOOP
        v_part := v_table || '_s' || _create_slice.slice;
        EXECUTE format(
            'CREATE TABLE ratchet.%I (LIKE ratchet.%I INCLUDING DEFAULTS INCLUDING CONSTRAINTS)%s',
            v_part, v_table,
            -- Room for HOT updates of the run row at each transition: a
            -- batch claim rewrites every run of a page in one transaction,
            -- so the page needs room for their new versions (70: see
            -- docs/architecture.md for the measurements).
            CASE v_table WHEN 'runs' THEN ' WITH (fillfactor = 70)' ELSE '' END
        );
        EXECUTE format(
            'ALTER TABLE ratchet.%I ATTACH PARTITION ratchet.%I FOR VALUES FROM (%s) TO (%s)',
            v_table, v_part, v_lo, v_hi
        );
        -- Like every engine table (sql/95_privileges.sql): readers go through
        -- the parent, whose row policy a partition read directly would skip.
        EXECUTE format('GRANT SELECT ON ratchet.%I TO ratchet_admin', v_part);
    END LOOP;
    INSERT INTO ratchet.slices (slice, lo, hi, opened_at)
    VALUES (_create_slice.slice, v_lo, v_hi, _create_slice.opened_at);
END;
$$;

-- How long a slice stays open: a quarter of the longest queue retention, at
-- least a minute. A slice leaves about one interval after its last run's
-- retention, so five or six slices are live at a time, whatever the
-- retention (each partition costs every statement on the table a lock), and
-- a queue with a retention of seconds keeps minutes of finished runs.
-- Ids: at most one slice a minute keeps them below 2^53 for 64 years.
CREATE OR REPLACE FUNCTION ratchet._slice_interval()
RETURNS interval
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
BEGIN
    RETURN greatest(
        interval '1 minute',
        (SELECT max(q.retention) FROM ratchet.queues AS q) / 4
    );
END;
$$;

-- Opens the next slice when the open one is older than the slice interval
-- and holds at least one run, or has given out half its ids (so a long
-- interval at a high rate never runs out of them). The restart of the run id
-- sequence is transactional: it blocks starts (nextval) until this transaction ends, so
-- tick does it last, and a rollback undoes the partitions and the restart
-- together. Returns whether it rotated.
CREATE OR REPLACE FUNCTION ratchet._rotate_slice(at timestamptz)
RETURNS boolean
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
SET lock_timeout = '100ms'
AS $$
#variable_conflict use_column
DECLARE
    v_open record;
    v_next_id bigint;
BEGIN
    SELECT s.* INTO v_open FROM ratchet.slices AS s ORDER BY s.slice DESC LIMIT 1;
    SELECT CASE WHEN q.is_called THEN q.last_value + 1 ELSE q.last_value END
    INTO v_next_id
    FROM ratchet.runs_id_seq AS q;
    -- Due after the interval, at once if the clock went back past the
    -- opening (a fake clock set behind it), or once half the ids are used.
    IF (
        v_open.opened_at + ratchet._slice_interval() > _rotate_slice.at
        AND v_open.opened_at <= _rotate_slice.at
        AND v_next_id - v_open.lo < (v_open.hi - v_open.lo) / 2
    )
        OR NOT EXISTS (
            SELECT 1 FROM ratchet.runs AS r WHERE r.id >= v_open.lo AND r.id < v_open.hi
        ) THEN
        RETURN false;
    END IF;
    PERFORM ratchet._create_slice(v_open.slice + 1, _rotate_slice.at);
    EXECUTE format('ALTER SEQUENCE ratchet.runs_id_seq RESTART WITH %s', v_open.hi);
    RETURN true;
END;
$$;

-- The runs of [lo, hi) that stay whatever their retention: the live ones
-- (each has its row in pending, tasks or waits, all keyed by run id) and
-- those a waiting run awaits (run_waits, until it resumes or ends). Index
-- range scans only, never runs itself: no index of runs names finished_at,
-- so that a run's end is a HOT update. At most about max_runs ids.
CREATE OR REPLACE FUNCTION ratchet._slice_live(lo bigint, hi bigint, max_runs integer)
RETURNS bigint[]
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
BEGIN
    RETURN ARRAY(
        SELECT DISTINCT k.id FROM (
            (
                SELECT p.run_id AS id FROM ratchet.pending AS p
                WHERE p.run_id >= _slice_live.lo AND p.run_id < _slice_live.hi
                LIMIT _slice_live.max_runs
            )
            UNION ALL
            (
                SELECT t.run_id FROM ratchet.tasks AS t
                WHERE t.run_id >= _slice_live.lo AND t.run_id < _slice_live.hi
                LIMIT _slice_live.max_runs
            )
            UNION ALL
            (
                SELECT w.run_id FROM ratchet.waits AS w
                WHERE w.run_id >= _slice_live.lo AND w.run_id < _slice_live.hi
                LIMIT _slice_live.max_runs
            )
            UNION ALL
            (
                SELECT w.awaited FROM ratchet.run_waits AS w
                WHERE w.awaited >= _slice_live.lo AND w.awaited < _slice_live.hi
                LIMIT _slice_live.max_runs
            )
        ) AS k
        ORDER BY k.id
        LIMIT _slice_live.max_runs
    );
END;
$$;

-- One scan of a closed slice's runs: how many there are, how many are
-- unfinished, how many finished ones are within their queue's retention at
-- `at`, and when the last retention ends (the slice's expiry once all its
-- runs have finished).
CREATE OR REPLACE FUNCTION ratchet._slice_scan(
    slice integer, at timestamptz,
    OUT runs bigint, OUT unfinished bigint, OUT retained bigint, OUT expires_at timestamptz
)
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
BEGIN
    EXECUTE format(
        $q$
        SELECT
            count(*),
            count(*) FILTER (WHERE r.finished_at IS NULL),
            count(*) FILTER (WHERE r.finished_at + q.retention >= $1),
            max(r.finished_at + q.retention)
        FROM ratchet.%I AS r
        LEFT JOIN ratchet.queues AS q ON q.name = r.queue
        $q$,
        'runs_s' || _slice_scan.slice
    )
    INTO _slice_scan.runs, _slice_scan.unfinished, _slice_scan.retained, _slice_scan.expires_at
    USING _slice_scan.at;
END;
$$;

-- Drops or compacts the oldest closed slice that can go, at most one per
-- call; returns the number of runs that left. A slice can go once no run of
-- it is live or awaited (index probes: ratchet._slice_live) and every
-- finished one is past its queue's retention. Runs has no index on
-- finished_at (its updates stay HOT), so the retention part takes a scan of
-- the slice, done once and remembered in ratchet.slices: expires_at (when
-- the last retention ends, once all its runs have finished) and recheck_at
-- (before it, tick does not scan the slice again). A slice past expires_at
-- with no live run is dropped without a scan (but for counting its runs).
-- retry forgets both when it re-opens a run of the slice; a scan locks the
-- slice's row first, so a retry either committed before the scan (which
-- sees it) or waits for tick.
-- Every lock it takes waits at most lock_timeout (the function's setting): a
-- slice someone is reading is retried by the next tick rather than stalling
-- the engine behind that reader, since a statement waiting for ACCESS
-- EXCLUSIVE makes every later one wait too. A slice keeping runs is
-- compacted only when at least half of it leaves, and only when it keeps
-- fewer than 1,000 runs (they are copied through memory); otherwise it waits
-- for a later tick.
CREATE OR REPLACE FUNCTION ratchet._retire_slices(at timestamptz)
RETURNS integer
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
SET lock_timeout = '100ms'
AS $$
#variable_conflict use_column
DECLARE
    v_max_kept constant integer := 1000;
    v_s record;
    v_scan record;
    v_parts text[];
    v_live bigint[];
    v_scanned boolean;
    v_keep bigint[];
    v_kept bigint;
    v_room bigint;
    v_next timestamptz;
    v_rows bigint;
    v_runs ratchet.runs[];
    v_history ratchet.history[];
    v_steps ratchet.steps[];
    v_events ratchet.events[];
    v_part text;
BEGIN
    FOR v_s IN
        SELECT s.* FROM ratchet.slices AS s
        WHERE s.slice < (SELECT max(o.slice) FROM ratchet.slices AS o)
        ORDER BY s.slice
    LOOP
        v_parts := ARRAY[
            'runs_s' || v_s.slice, 'history_s' || v_s.slice,
            'steps_s' || v_s.slice, 'events_s' || v_s.slice
        ];
        BEGIN
            v_live := ratchet._slice_live(v_s.lo, v_s.hi, v_max_kept);
            IF cardinality(v_live) >= v_max_kept THEN
                CONTINUE;
            END IF;
            -- False when the stored expiry decides (no scan); true when a
            -- scan does, now or at recheck_at.
            v_scanned := v_live <> '{}' OR NOT coalesce(v_s.expires_at < _retire_slices.at, false);
            IF NOT v_scanned THEN
                -- Every run finished and past retention, as found by an
                -- earlier scan that no retry has undone since.
                v_keep := '{}';
                EXECUTE format('SELECT count(*) FROM ratchet.%I', v_parts[1]) INTO v_rows;
            ELSIF v_s.recheck_at >= _retire_slices.at THEN
                CONTINUE;
            ELSE
                PERFORM 1 FROM ratchet.slices AS s WHERE s.slice = v_s.slice FOR UPDATE;
                SELECT * INTO v_scan FROM ratchet._slice_scan(v_s.slice, _retire_slices.at);
                v_rows := v_scan.runs;
                -- Kept: the live and awaited runs (an awaited run within
                -- retention counts twice: an estimate on the safe side).
                v_kept := greatest(cardinality(v_live), v_scan.unfinished) + v_scan.retained;
                IF v_kept >= v_max_kept OR v_rows < 2 * v_kept THEN
                    -- Not yet. The kept runs must fall to v_room for a
                    -- compaction (or to none for a drop): the finished ones
                    -- within retention leave in order of their retention's
                    -- end, so look again after the (v_room + 1)-th latest
                    -- end. Live runs may finish meanwhile: while there are
                    -- any, look again within a slice interval.
                    v_room := least(v_max_kept - 1, v_rows / 2) - (v_kept - v_scan.retained);
                    v_next := null;
                    IF v_room >= 0 THEN
                        EXECUTE format(
                            $q$
                            SELECT r.finished_at + q.retention FROM ratchet.%I AS r
                            INNER JOIN ratchet.queues AS q ON q.name = r.queue
                            WHERE r.finished_at IS NOT NULL
                            ORDER BY 1 DESC
                            OFFSET $1 LIMIT 1
                            $q$,
                            v_parts[1]
                        )
                        INTO v_next USING v_room;
                    END IF;
                    IF v_next IS NULL OR v_kept > v_scan.retained THEN
                        v_next := least(v_next, _retire_slices.at + ratchet._slice_interval());
                    END IF;
                    UPDATE ratchet.slices AS s SET
                        expires_at = CASE WHEN v_scan.unfinished = 0 THEN v_scan.expires_at END,
                        recheck_at = v_next
                    WHERE s.slice = v_s.slice;
                    CONTINUE;
                END IF;
                -- The kept runs by id: live or awaited, unfinished, or
                -- finished within retention.
                EXECUTE format(
                    $q$
                    SELECT array_agg(r.id) FROM ratchet.%I AS r
                    LEFT JOIN ratchet.queues AS q ON q.name = r.queue
                    WHERE r.finished_at IS NULL OR r.finished_at + q.retention >= $1
                    $q$,
                    v_parts[1]
                )
                INTO v_keep USING _retire_slices.at;
                v_keep := ARRAY(
                    SELECT DISTINCT u.id FROM unnest(v_live || v_keep) AS u (id) ORDER BY u.id
                );
            END IF;
            EXECUTE format(
                'LOCK TABLE ratchet.%I, ratchet.%I, ratchet.%I, ratchet.%I IN ACCESS EXCLUSIVE MODE',
                v_parts[1], v_parts[2], v_parts[3], v_parts[4]
            );
            -- Again under the locks: a retry that committed since the
            -- expiry was found forgot it, and a retry, an await_runs or a
            -- signal may have made runs live or awaited.
            IF NOT v_scanned
                AND NOT coalesce(
                    (SELECT s.expires_at < _retire_slices.at FROM ratchet.slices AS s WHERE s.slice = v_s.slice),
                    false
                ) THEN
                RETURN 0;
            END IF;
            v_keep := ARRAY(
                SELECT DISTINCT u.id
                FROM unnest(v_keep || ratchet._slice_live(v_s.lo, v_s.hi, v_max_kept)) AS u (id)
                ORDER BY u.id
            );
            IF cardinality(v_keep) >= v_max_kept THEN
                RETURN 0;
            ELSIF v_keep = '{}' THEN
                FOREACH v_part IN ARRAY v_parts LOOP
                    -- Slice 0 is made by CREATE EXTENSION, so its partitions
                    -- belong to the extension until the engine lets them go.
                    IF EXISTS (
                        SELECT 1 FROM pg_depend AS d
                        WHERE
                            d.classid = 'pg_class'::regclass
                            AND d.objid = format('ratchet.%I', v_part)::regclass
                            AND d.deptype = 'e'
                    ) THEN
                        EXECUTE format('ALTER EXTENSION pgratchet DROP TABLE ratchet.%I', v_part);
                    END IF;
                END LOOP;
                EXECUTE format(
                    'DROP TABLE ratchet.%I, ratchet.%I, ratchet.%I, ratchet.%I',
                    v_parts[1], v_parts[2], v_parts[3], v_parts[4]
                );
                DELETE FROM ratchet.slices AS s WHERE s.slice = v_s.slice;
            ELSE
                SELECT array_agg(r) INTO v_runs FROM ratchet.runs AS r WHERE r.id = ANY(v_keep);
                SELECT array_agg(h) INTO v_history
                FROM ratchet.history AS h WHERE h.run_id = ANY(v_keep);
                SELECT array_agg(st) INTO v_steps
                FROM ratchet.steps AS st WHERE st.run_id = ANY(v_keep);
                SELECT array_agg(e) INTO v_events
                FROM ratchet.events AS e WHERE e.run_id = ANY(v_keep);
                EXECUTE format(
                    'TRUNCATE ratchet.%I, ratchet.%I, ratchet.%I, ratchet.%I',
                    v_parts[1], v_parts[2], v_parts[3], v_parts[4]
                );
                INSERT INTO ratchet.runs OVERRIDING SYSTEM VALUE
                SELECT * FROM unnest(v_runs);
                INSERT INTO ratchet.history OVERRIDING SYSTEM VALUE
                SELECT * FROM unnest(v_history);
                INSERT INTO ratchet.steps OVERRIDING SYSTEM VALUE
                SELECT * FROM unnest(v_steps);
                INSERT INTO ratchet.events OVERRIDING SYSTEM VALUE
                SELECT * FROM unnest(v_events);
                -- What is left is small: the next tick scans it again.
                UPDATE ratchet.slices AS s SET expires_at = null, recheck_at = null
                WHERE s.slice = v_s.slice;
            END IF;
            -- The few rows kept elsewhere for the runs that left.
            DELETE FROM ratchet.fenced_tasks AS f
            WHERE f.run_id >= v_s.lo AND f.run_id < v_s.hi AND f.run_id <> ALL(v_keep);
            DELETE FROM ratchet.run_waits AS w
            WHERE w.waiter >= v_s.lo AND w.waiter < v_s.hi AND w.waiter <> ALL(v_keep);
            -- One slice per tick: the locks (for a drop, ACCESS EXCLUSIVE on
            -- the parents) last until tick's transaction ends, so end it soon.
            RETURN v_rows - cardinality(v_keep);
        EXCEPTION WHEN lock_not_available THEN
            -- Someone holds the slice (a long query, pg_dump): next tick.
            CONTINUE;
        END;
    END LOOP;
    RETURN 0;
END;
$$;

-- ==== sql/20_create_queue.sql ====

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

-- ==== sql/upgrade/0.1.0--0.2.0/20_waits.sql ====

-- 0.1.0 -> 0.2.0: a waiting run's wait moves from the runs.wait_* columns to
-- its own table, ratchet.waits (the shape of sql/install/12_waits_table.sql),
-- so every live run sits in exactly one of pending, tasks and waits. Runs
-- after 10_hardening.sql, which still reads runs.wait_runs.

CREATE TABLE ratchet.waits (
    run_id bigint PRIMARY KEY,
    -- the step that records what the run gets (an event's payload, the runs'
    -- outcomes, or a time-out)
    step text NOT NULL,
    event text,
    -- when an await_event gives up (null: never)
    timeout_at timestamptz,
    -- the awaited runs, in the order await_runs returns their outcomes; each
    -- also has a ratchet.run_waits row until the waiter resumes or ends
    runs bigint[],
    since timestamptz NOT NULL,
    CHECK ((event IS NULL) <> (runs IS NULL)),
    CHECK (timeout_at IS NULL OR event IS NOT NULL),
    CHECK (cardinality(runs) > 0)
) WITH (
    autovacuum_vacuum_scale_factor = 0.01,
    autovacuum_vacuum_insert_scale_factor = 0.01
);

-- tick() finds the awaits whose time-out has passed.
CREATE INDEX waits_timeout_at ON ratchet.waits (timeout_at)
WHERE timeout_at IS NOT NULL;

COMMENT ON TABLE ratchet.waits IS
'What each waiting run waits for: an event (with an optional time-out) or runs.';

-- Each waiting run's wait, as 0.1.0 stored it. 0.1.0 did not record when the
-- wait began: its last 'waiting' history entry says so.
INSERT INTO ratchet.waits (run_id, step, event, timeout_at, runs, since)
SELECT
    r.id AS run_id,
    r.wait_step AS step,
    r.wait_event AS event,
    r.wait_until AS timeout_at,
    r.wait_runs AS runs,
    coalesce(
        (
            SELECT max(h.at) FROM ratchet.history AS h
            WHERE h.run_id = r.id AND h.kind = 'waiting'
        ),
        r.started_at,
        r.created_at
    ) AS since
FROM ratchet.runs AS r
WHERE r.status = 'waiting';

-- Dropping the columns drops their CHECKs too; the index goes first.
DROP INDEX ratchet.runs_wait_until;
ALTER TABLE ratchet.runs
DROP COLUMN wait_step,
DROP COLUMN wait_event,
DROP COLUMN wait_until,
DROP COLUMN wait_runs;

-- The CHECKs after the dropped ones get the names a fresh install gives them.
ALTER TABLE ratchet.runs RENAME CONSTRAINT runs_check6 TO runs_check2;
ALTER TABLE ratchet.runs RENAME CONSTRAINT runs_check7 TO runs_check3;

-- A waiting run resumes and ends through helpers that take its waits row.
-- IF EXISTS: 11_slices.sql dropped it already (before runs became partitioned).
DROP FUNCTION IF EXISTS ratchet._resume(ratchet.runs, text, jsonb, timestamptz, text);
-- complete() ends its run through ratchet._end like every other end.
DROP FUNCTION ratchet._complete(ratchet.tasks, jsonb, timestamptz);

-- ==== sql/21_register_workflow.sql ====

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

-- ==== sql/upgrade/0.1.0--0.2.0/30_notify.sql ====

-- 0.1.0 -> 0.2.0, coalesced wake-ups (issue 8, item 4): the table that
-- records each queue's last NOTIFY, two rows for every existing queue, and the
-- setting notify_interval_ms.

CREATE TABLE ratchet.queue_signals (
    queue text NOT NULL REFERENCES ratchet.queues (name) ON DELETE CASCADE,
    slot smallint NOT NULL CHECK (slot IN (0, 1)),
    notified_at timestamptz NOT NULL,
    PRIMARY KEY (queue, slot)
) WITH (fillfactor = 10);

COMMENT ON TABLE ratchet.queue_signals IS
'Time of the last NOTIFY of each queue, in two slots, for coalescing wake-ups; see ratchet._wake().';

-- '-infinity': no queue has notified yet, so each one's next wake-up is sent.
INSERT INTO ratchet.queue_signals (queue, slot, notified_at)
SELECT
    q.name,
    g.slot,
    '-infinity'::timestamptz AS notified_at
FROM ratchet.queues AS q
CROSS JOIN generate_series(0, 1) AS g (slot);

ALTER TABLE ratchet.settings DROP CONSTRAINT settings_name_check;
ALTER TABLE ratchet.settings ADD CONSTRAINT settings_name_check CHECK (
    name IN (
        'max_payload_bytes', 'max_buffered_events', 'fake_clock', 'notify_interval_ms'
    )
);

-- ==== sql/30_start.sql ====

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

-- ==== sql/40_workers.sql ====

-- Workers register, heartbeat to keep their leases, and deregister.

CREATE OR REPLACE FUNCTION ratchet.register_worker(
    name text, queues text[], workflows text[] DEFAULT null
)
RETURNS bigint
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
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
    IF register_worker.queues IS NULL OR cardinality(register_worker.queues) = 0
        OR array_position(register_worker.queues, null) IS NOT NULL THEN
        PERFORM ratchet._raise(
            'RT005', 'a worker needs at least one queue, and no null in its queues'
        );
    END IF;
    -- null means every workflow; an empty list would mean none: such a worker
    -- could never claim anything.
    IF cardinality(register_worker.workflows) = 0
        OR array_position(register_worker.workflows, null) IS NOT NULL THEN
        PERFORM ratchet._raise(
            'RT005', 'workflows must be null (any workflow) or a list of workflow names without nulls',
            'leave workflows out to claim runs of every workflow in the worker''s queues'
        );
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
    PERFORM ratchet._authorize(u.q, 'work') FROM unnest(register_worker.queues) AS u (q);
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
    INSERT INTO ratchet.workers AS w (
        name, queues, workflows, owner, registered_at, last_seen_at
    )
    VALUES (
        register_worker.name,
        ARRAY(SELECT DISTINCT u.q FROM unnest(register_worker.queues) AS u (q) ORDER BY u.q),
        CASE WHEN register_worker.workflows IS NOT NULL THEN
            ARRAY(SELECT DISTINCT u.w FROM unnest(register_worker.workflows) AS u (w) ORDER BY u.w)
        END,
        ratchet._caller(),
        v_now,
        v_now
    )
    RETURNING w.id INTO v_id;
    RETURN v_id;
END;
$$;

-- The live worker row, or RT007; 42501 when the caller is not the role that
-- registered it (worker ids are not bearer tokens).
CREATE OR REPLACE FUNCTION ratchet._worker(worker bigint)
RETURNS ratchet.workers
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
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
    PERFORM ratchet._authorize_owner(v_w.owner, format('worker %s', v_w.id));
    RETURN v_w;
END;
$$;

-- Extends every live lease of the worker; an expired lease stays lost.
CREATE OR REPLACE FUNCTION ratchet.heartbeat(worker bigint)
RETURNS timestamptz
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
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
CREATE OR REPLACE FUNCTION ratchet.deregister_worker(worker bigint)
RETURNS integer
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    v_now timestamptz := ratchet.now();
    v_task ratchet.tasks;
    v_count integer := 0;
BEGIN
    PERFORM ratchet._require_read_committed('deregister_worker');
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

-- ==== sql/42_outcomes.sql ====

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

-- ==== sql/43_claim.sql ====

-- Claim: hand up to max_tasks ready runs to a worker, each as a new task.
-- Across the worker's queues the order is priority first; at equal priority
-- the queues take turns (the first ready run of each, then the second of
-- each, ...) in an order drawn at random on each claim; within a queue, due
-- time, then id. Claims never wait on a row another session holds (SKIP
-- LOCKED on pending and on runs), so claimers cannot deadlock with each
-- other or with cancel. Claim needs READ COMMITTED: its free-slot count must
-- see the tasks committed before it got the queue's lock.
CREATE OR REPLACE FUNCTION ratchet.claim(worker bigint, max_tasks integer DEFAULT 1)
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
SET search_path = pg_catalog, pg_temp
-- Generic plans: re-planning these statements on every call costs more than running them.
SET plan_cache_mode = force_generic_plan
-- No JIT: a generic plan cannot see its LIMITs, so with a deep pending table its estimated
-- cost passes jit_above_cost and every claim would compile its main statement (~15 ms per
-- priority level visited, against well under a millisecond to run it).
SET jit = off
AS $$
#variable_conflict use_column
DECLARE
    v_now timestamptz := ratchet.now();
    v_w ratchet.workers;
    v_queues text[];
    v_budgets integer[];
    v_turns double precision[];
    v_level integer := -32769;
    v_need integer := claim.max_tasks;
    v_ids bigint[] := '{}';
    v_taken bigint[];
    v_from text[];
BEGIN
    PERFORM ratchet._require_read_committed('claim');
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
    -- A revoked work right stops claims at once, not at re-registration.
    WHERE q.name = ANY(v_w.queues) AND NOT q.paused AND ratchet._can(q.name, 'work');
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

    -- One random turn per queue for this claim: a stateless round robin.
    v_turns := ARRAY(SELECT random() FROM generate_series(1, cardinality(v_queues)));

    -- Priority levels best first, each found by one index descent per queue,
    -- so neither rows not yet due nor the rest of a level are ever read.
    LOOP
        v_level := (
            SELECT min(l.priority)
            FROM unnest(v_queues, v_budgets) AS q (name, budget)
            CROSS JOIN LATERAL (
                SELECT p.priority FROM ratchet.pending AS p
                WHERE p.queue = q.name AND p.priority > v_level
                ORDER BY p.priority
                LIMIT 1
            ) AS l
            WHERE q.budget IS NULL OR q.budget > 0
        );
        EXIT WHEN v_level IS NULL;

        -- Lock the level's due rows of each queue, within its free slots (a
        -- worker limited to some workflows reads only theirs), and keep the
        -- n-th of every queue before any queue's (n+1)-th.
        SELECT array_agg(c.run_id), array_agg(c.queue) INTO v_taken, v_from
        FROM (
            SELECT d.run_id, d.queue
            FROM (
                SELECT
                    f.run_id, f.queue, f.budget, f.turn,
                    row_number() OVER (
                        PARTITION BY f.queue ORDER BY f.due_at, f.run_id
                    ) AS rank
                FROM (
                    SELECT q.name AS queue, q.budget, q.turn, p.run_id, p.due_at
                    FROM unnest(v_queues, v_budgets, v_turns) AS q (name, budget, turn)
                    CROSS JOIN LATERAL (
                        SELECT p.run_id, p.due_at FROM ratchet.pending AS p
                        WHERE
                            v_w.workflows IS NULL
                            AND p.queue = q.name
                            AND p.priority = v_level
                            AND p.due_at <= v_now
                        ORDER BY p.due_at, p.run_id
                        LIMIT least(q.budget, v_need)
                        FOR UPDATE SKIP LOCKED
                    ) AS p
                    UNION ALL
                    SELECT q.name AS queue, q.budget, q.turn, p.run_id, p.due_at
                    FROM unnest(v_queues, v_budgets, v_turns) AS q (name, budget, turn)
                    CROSS JOIN (SELECT DISTINCT unnest(v_w.workflows)) AS wf (name)
                    CROSS JOIN LATERAL (
                        SELECT p.run_id, p.due_at FROM ratchet.pending AS p
                        WHERE
                            p.queue = q.name
                            AND p.workflow = wf.name
                            AND p.priority = v_level
                            AND p.due_at <= v_now
                        ORDER BY p.due_at, p.run_id
                        LIMIT least(q.budget, v_need)
                        FOR UPDATE SKIP LOCKED
                    ) AS p
                ) AS f
            ) AS d
            WHERE d.budget IS NULL OR d.rank <= d.budget
            ORDER BY d.rank, d.turn, d.queue
            LIMIT v_need
        ) AS c;

        IF v_taken IS NOT NULL THEN
            v_ids := v_ids || v_taken;
            v_need := v_need - cardinality(v_taken);
            EXIT WHEN v_need = 0;
            FOR i IN 1 .. cardinality(v_queues) LOOP
                v_budgets[i] := v_budgets[i] - cardinality(array_positions(v_from, v_queues[i]));
            END LOOP;
        END IF;
    END LOOP;
    IF v_need = claim.max_tasks THEN
        RETURN;
    END IF;

    -- Then their runs; one busy elsewhere (cancel, signal) is left for later.
    -- runs is partitioned by id (sql/16_slices.sql): r.id = ANY(v_ids) is an
    -- index condition that also prunes the slices holding none of the ids at
    -- executor start, where a join with unnest(...) would make a generic plan
    -- scan every slice.
    SELECT array_agg(l.id) INTO v_ids
    FROM (
        SELECT r.id FROM ratchet.runs AS r
        WHERE r.id = ANY(v_ids)
        ORDER BY r.id DESC
        FOR UPDATE SKIP LOCKED
    ) AS l;
    IF v_ids IS NULL THEN
        RETURN;
    END IF;

    INSERT INTO ratchet.history (run_id, at, kind, step, detail)
    SELECT r.id, v_now, 'woken', null, '{"kind": "sleep"}'::jsonb
    FROM ratchet.runs AS r
    WHERE r.id = ANY(v_ids) AND r.status = 'sleeping'
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
        WHERE r.id = ANY(v_ids)
        ORDER BY r.id
        RETURNING t.*
    ),

    started AS (
        UPDATE ratchet.runs AS r SET
            status = 'running',
            started_at = coalesce(r.started_at, v_now)
        FROM held AS h
        WHERE r.id = h.run_id AND r.id = ANY(v_ids)
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

-- ==== sql/45_fail.sql ====

-- A worker reports a failed attempt of the body or of one step.
-- Returns 'retrying' (a new attempt is scheduled after backoff) or 'failed'.
CREATE OR REPLACE FUNCTION ratchet.fail(
    task bigint,
    error jsonb,
    step text DEFAULT null,
    retryable boolean DEFAULT true,
    max_attempts integer DEFAULT null
)
RETURNS text
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
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
-- await, cancel, reclaim, hand-back), coalesced like every wake-up.
CREATE OR REPLACE FUNCTION ratchet._slot_freed()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM ratchet._wake(q.name)
    FROM ratchet.queues AS q
    WHERE
        q.concurrency IS NOT NULL
        AND q.notify
        AND NOT q.paused
        AND q.name IN (SELECT e.queue FROM ended AS e);
    RETURN null;
END;
$$;

CREATE OR REPLACE TRIGGER tasks_slot_freed
AFTER DELETE ON ratchet.tasks
REFERENCING OLD TABLE AS ended
FOR EACH STATEMENT
EXECUTE FUNCTION ratchet._slot_freed();

-- ==== sql/50_checkpoint.sql ====

-- A step checkpoint: (run, step) -> result, written once. The first writer
-- wins; every later writer gets the stored result back.
CREATE OR REPLACE FUNCTION ratchet.checkpoint(task bigint, step text, result jsonb)
RETURNS jsonb
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
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
CREATE OR REPLACE FUNCTION ratchet._step(run_id bigint, step text)
RETURNS ratchet.steps
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    v_s ratchet.steps;
BEGIN
    SELECT s.* INTO v_s FROM ratchet.steps AS s
    WHERE s.run_id = _step.run_id AND s.name = _step.step;
    RETURN v_s;
END;
$$;

-- ==== sql/51_sleep.sql ====

-- A durable timer. The step records its wake time on the first call, so a
-- replay of "sleep 5 minutes" does not restart the timer. While it sleeps the
-- run is only a pending row due at wake_at: no worker, thread or connection.
CREATE OR REPLACE FUNCTION ratchet.sleep(task bigint, step text, wake_at timestamptz)
RETURNS boolean
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    v_now timestamptz := ratchet.now();
    v_t ratchet.tasks;
    v_s ratchet.steps;
    v_wake timestamptz;
BEGIN
    PERFORM ratchet._check_step(sleep.step);
    IF sleep.wake_at IS NULL OR NOT isfinite(sleep.wake_at)
        OR sleep.wake_at > v_now + interval '100 years' THEN
        PERFORM ratchet._raise(
            'RT005', format('sleep: wake_at must be a finite time at most 100 years ahead, got %s', sleep.wake_at)
        );
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

    PERFORM ratchet._suspend(
        v_t, sleep.step, jsonb_build_object('wake_at', v_wake), v_now, wake_at => v_wake
    );
    RETURN true;
END;
$$;

-- ==== sql/52_events.sql ====

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

-- ==== sql/53_children.sql ====

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

-- ==== sql/60_cancel.sql ====

-- Cancel a run and, through parent links, all its live descendants. The
-- status changes at once; a worker holding one of them gets RT002 at its
-- next call. Returns false when the run had already finished.

-- The run and every run below it through parent links, finished or not, as
-- of this statement's snapshot.
CREATE OR REPLACE FUNCTION ratchet._run_tree(root bigint)
RETURNS bigint[]
LANGUAGE sql
SET search_path = pg_catalog, pg_temp
AS $$
    WITH RECURSIVE tree AS (
        SELECT _run_tree.root AS id
        UNION
        SELECT c.id FROM ratchet.runs AS c INNER JOIN tree AS t ON c.parent = t.id
    )

    SELECT array_agg(t.id ORDER BY t.id) FROM tree AS t;
$$;

CREATE OR REPLACE FUNCTION ratchet.cancel(run bigint, reason text DEFAULT null)
RETURNS boolean
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    v_now timestamptz := ratchet.now();
    v_root ratchet.runs;
    v_ids bigint[];
    v_id bigint;
    v_error jsonb;
BEGIN
    PERFORM ratchet._require_read_committed('cancel');
    IF length(cancel.reason) > 2000 THEN
        PERFORM ratchet._raise(
            'RT005',
            format('cancel: reason is %s characters, over the limit of 2000', length(cancel.reason)),
            'give a short reason (at most 2000 characters) and keep details elsewhere'
        );
    END IF;
    SELECT * INTO v_root FROM ratchet.runs AS r WHERE r.id = cancel.run;
    IF NOT FOUND THEN
        PERFORM ratchet._raise('RT006', format('unknown run %s', cancel.run));
    END IF;
    PERFORM ratchet._authorize(v_root.queue, 'produce');
    IF v_root.finished_at IS NOT NULL THEN
        RETURN false;
    END IF;

    -- Lock the whole tree newest first (children before parents: the order a
    -- finishing child takes when it wakes its waiter). The tree read before
    -- the locks may be stale: a start_child that held a run of it commits a
    -- new child while we wait (D8). So, under the locks, read the tree again
    -- with a fresh statement; once every run is locked no run of it can get
    -- a new child (start_child locks its run first), so the tree is final
    -- when that second read adds nothing. If it adds runs, locking them now
    -- would take a child after its parent, and deadlock with a session
    -- holding the new child and waiting for the parent (await_runs on it, or
    -- its end waking a waiter in the tree). Instead, undo this attempt's
    -- locks (the block's subtransaction) and lock the larger tree in order.
    LOOP
        BEGIN
            v_ids := ratchet._run_tree(cancel.run);
            PERFORM 1 FROM ratchet.runs AS r
            WHERE r.id = ANY(v_ids)
            ORDER BY r.id DESC
            FOR UPDATE;
            EXIT WHEN ratchet._run_tree(cancel.run) <@ v_ids;
            RAISE EXCEPTION USING errcode = 'RTX01', message = 'cancel: the tree grew, lock again';
        EXCEPTION WHEN SQLSTATE 'RTX01' THEN
            NULL;
        END;
    END LOOP;

    -- Lock, then test (D7): a run that finished while we waited is not ours
    -- to cancel, and nothing changes.
    IF coalesce(
        (SELECT r.finished_at IS NOT NULL FROM ratchet.runs AS r WHERE r.id = cancel.run), true
    ) THEN
        RETURN false;
    END IF;

    -- Cancel oldest first so a parent is cancelled before its children's
    -- ends could wake it.
    FOREACH v_id IN ARRAY v_ids LOOP
        IF (SELECT r.finished_at FROM ratchet.runs AS r WHERE r.id = v_id) IS NOT NULL THEN
            CONTINUE;
        END IF;
        v_error := jsonb_build_object('cancelled', true, 'reason', cancel.reason);
        IF v_id <> cancel.run THEN
            v_error := v_error || jsonb_build_object('cancelled_with', cancel.run);
        END IF;
        PERFORM ratchet._end_run(
            v_id, 'cancelled', v_error, 'RT002', 'the run was cancelled', v_now
        );
    END LOOP;
    RETURN true;
END;
$$;

-- ==== sql/upgrade/0.1.0--0.2.0/60_hot.sql ====

-- 0.1.0 -> 0.2.0: no index of runs names a column that a transition
-- rewrites, so every update of a run can be HOT (docs/architecture.md). The
-- two that did go: runs_retention (queue, finished_at), replaced by probes of
-- pending, tasks and waits and each slice's stored expiry (sql/16_slices.sql),
-- and runs_open_deadline (deadline, partial on finished_at IS NULL), replaced
-- by ratchet.deadlines. Runs after 11_slices.sql (which made both indexes on
-- the partitioned parent; slice 0's indexes are attached to them and go with
-- them) and 20_waits.sql.

CREATE TABLE ratchet.deadlines (
    run_id bigint PRIMARY KEY,
    deadline timestamptz NOT NULL
) WITH (
    autovacuum_vacuum_scale_factor = 0.01,
    autovacuum_vacuum_insert_scale_factor = 0.01
);

CREATE INDEX deadlines_deadline ON ratchet.deadlines (deadline);

COMMENT ON TABLE ratchet.deadlines IS
'The deadline of every unfinished run that has one.';

INSERT INTO ratchet.deadlines (run_id, deadline)
SELECT
    r.id,
    r.deadline
FROM ratchet.runs AS r
WHERE r.deadline IS NOT NULL AND r.finished_at IS NULL;

DROP INDEX ratchet.runs_retention;
DROP INDEX ratchet.runs_open_deadline;

-- Null: tick scans each closed slice once to learn them.
ALTER TABLE ratchet.slices
ADD COLUMN expires_at timestamptz,
ADD COLUMN recheck_at timestamptz;

-- Partitions of runs leave room for HOT updates (sql/16_slices.sql): 70%
-- full, where 0.1.0's runs table (now slice 0) was 80%. Pages written from
-- now on follow it.
ALTER TABLE ratchet.runs_s0 SET (fillfactor = 70);

-- ==== sql/61_retry.sql ====

-- Re-queue a failed or cancelled run. Its completed steps stay completed;
-- error, output and failure counts are cleared and the attempt goes up.
-- A run whose deadline has passed gets a new window of the same length (and
-- a ratchet.deadlines row again).
CREATE OR REPLACE FUNCTION ratchet.retry(run bigint)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    v_now timestamptz := ratchet.now();
    v_r ratchet.runs;
    v_deadline timestamptz;
BEGIN
    PERFORM ratchet._require_read_committed('retry');
    SELECT * INTO v_r FROM ratchet.runs AS r WHERE r.id = retry.run FOR UPDATE;
    IF NOT FOUND THEN
        PERFORM ratchet._raise('RT006', format('unknown run %s', retry.run));
    END IF;
    PERFORM ratchet._authorize(v_r.queue, 'produce');
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
    WHERE r.id = v_r.id
    RETURNING r.deadline INTO v_deadline;
    IF v_deadline IS NOT NULL THEN
        INSERT INTO ratchet.deadlines (run_id, deadline) VALUES (v_r.id, v_deadline);
    END IF;
    -- The run's slice may have a known expiry (sql/16_slices.sql): the run
    -- will end again later, so tick must look at the slice again. Done
    -- unconditionally: a tick scanning the slice holds this row, and the
    -- update waits for it, so the scan never misses this retry.
    UPDATE ratchet.slices AS s SET expires_at = null, recheck_at = null
    WHERE v_r.id >= s.lo AND v_r.id < s.hi;
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

CREATE OR REPLACE FUNCTION ratchet.run_history(run bigint)
RETURNS TABLE (seq integer, at timestamptz, kind text, step text, detail jsonb)
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    v_queue text;
BEGIN
    SELECT r.queue INTO v_queue FROM ratchet.runs AS r WHERE r.id = run_history.run;
    IF NOT FOUND THEN
        PERFORM ratchet._raise('RT006', format('unknown run %s', run_history.run));
    END IF;
    PERFORM ratchet._authorize(v_queue, 'read');
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
CREATE OR REPLACE VIEW ratchet.queue_stats AS
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
LEFT JOIN oldest AS o ON q.name = o.queue
WHERE q.name IN (SELECT unnest(ratchet._readable_queues()));

COMMENT ON VIEW ratchet.queue_stats IS
'Per queue the caller may read: runs by status, the age of the oldest queued run, the limit.';

-- ==== sql/77_invariants.sql ====

-- The engine's consistency rules, checked against its tables. The status of
-- a run, its task, its claim row and its waits are written by different
-- functions; a bug in one of them (or a crash between statements, were they
-- ever split across transactions) shows up here as a row, long before it
-- shows up as a run that nobody will ever claim. Tests call it after every
-- test; an operator can call it on a live database (it only reads).

CREATE OR REPLACE FUNCTION ratchet.check_invariants()
RETURNS TABLE (invariant text, run bigint, detail text)
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    v_stats text[];
BEGIN
    RETURN QUERY
    -- A run sits in exactly the one of pending (ready: queued or sleeping),
    -- tasks (held: running) and waits (waiting) that its status names, and a
    -- finished run in none of them.
    SELECT
        'one_place', r.id,
        format(
            '%s run is in %s', r.status,
            coalesce(array_to_string(p.places, ', '), 'none of pending, tasks, waits')
        )
    FROM ratchet.runs AS r
    CROSS JOIN LATERAL (
        SELECT array_agg(x.place ORDER BY x.place) AS places
        FROM (
            SELECT 'pending' AS place FROM ratchet.pending AS p WHERE p.run_id = r.id
            UNION ALL
            SELECT 'tasks' FROM ratchet.tasks AS t WHERE t.run_id = r.id
            UNION ALL
            SELECT 'waits' FROM ratchet.waits AS w WHERE w.run_id = r.id
        ) AS x
    ) AS p
    WHERE p.places IS DISTINCT FROM CASE
        WHEN r.status IN ('queued', 'sleeping') THEN ARRAY['pending']
        WHEN r.status = 'running' THEN ARRAY['tasks']
        WHEN r.status = 'waiting' THEN ARRAY['waits']
    END

    UNION ALL
    -- Every task belongs to a running run of the same queue.
    SELECT
        'task_run', t.run_id,
        CASE
            WHEN r.id IS NULL THEN format('task %s names a run that does not exist', t.id)
            WHEN r.status <> 'running' THEN format('task %s held for a %s run', t.id, r.status)
            ELSE format('task %s is in queue %L, its run in %L', t.id, t.queue, r.queue)
        END
    FROM ratchet.tasks AS t
    LEFT JOIN ratchet.runs AS r ON r.id = t.run_id
    WHERE r.id IS NULL OR r.status <> 'running' OR r.queue <> t.queue

    UNION ALL
    -- A claim row belongs to a queued or sleeping run and copies its claim keys.
    SELECT
        'pending_run', p.run_id,
        CASE
            WHEN r.id IS NULL THEN 'pending row names a run that does not exist'
            WHEN r.status NOT IN ('queued', 'sleeping')
                THEN format('pending row for a %s run', r.status)
            ELSE format(
                'pending row has queue %L, workflow %L, priority %s; its run %L, %L, %s',
                p.queue, p.workflow, p.priority, r.queue, r.workflow, r.priority
            )
        END
    FROM ratchet.pending AS p
    LEFT JOIN ratchet.runs AS r ON r.id = p.run_id
    WHERE
        r.id IS NULL
        OR r.status NOT IN ('queued', 'sleeping')
        OR (p.queue, p.workflow, p.priority) IS DISTINCT FROM (r.queue, r.workflow, r.priority)

    UNION ALL
    -- A waits row belongs to a waiting run.
    SELECT
        'waits_run', w.run_id,
        CASE
            WHEN r.id IS NULL THEN 'waits row names a run that does not exist'
            ELSE format('waits row for a %s run', r.status)
        END
    FROM ratchet.waits AS w
    LEFT JOIN ratchet.runs AS r ON r.id = w.run_id
    WHERE r.id IS NULL OR r.status <> 'waiting'

    UNION ALL
    -- A finished run has its end time and awaits no run.
    SELECT 'finished_run', r.id, format('%s run %s', r.status, f.what)
    FROM ratchet.runs AS r
    CROSS JOIN LATERAL (
        SELECT 'is a waiter in run_waits' AS what
        WHERE EXISTS (SELECT 1 FROM ratchet.run_waits AS w WHERE w.waiter = r.id)
        UNION ALL
        SELECT 'has no finished_at'
        WHERE r.finished_at IS NULL
    ) AS f
    WHERE r.status IN ('completed', 'failed', 'cancelled')

    UNION ALL
    -- A live run has not finished.
    SELECT 'live_finished_at', r.id, format('%s run has finished_at %s', r.status, r.finished_at)
    FROM ratchet.runs AS r
    WHERE r.status NOT IN ('completed', 'failed', 'cancelled') AND r.finished_at IS NOT NULL

    UNION ALL
    -- An unfinished run with a deadline has its deadlines row, with that
    -- deadline (tick finds the runs past theirs there), and no other run has one.
    SELECT
        'deadline_row', coalesce(r.id, d.run_id),
        CASE
            WHEN d.run_id IS NULL THEN format('%s run with deadline %s has no deadlines row', r.status, r.deadline)
            WHEN r.id IS NULL THEN format('deadlines row (%s) for a run that is finished, gone or has no deadline', d.deadline)
            ELSE format('deadlines row says %s, the run %s', d.deadline, r.deadline)
        END
    FROM (
        SELECT x.id, x.status, x.deadline FROM ratchet.runs AS x
        WHERE x.finished_at IS NULL AND x.deadline IS NOT NULL
    ) AS r
    FULL JOIN ratchet.deadlines AS d ON d.run_id = r.id
    WHERE r.deadline IS DISTINCT FROM d.deadline

    UNION ALL
    -- A run_waits row's waiter is a waiting run that awaits that run.
    SELECT
        'run_waits_waiter', x.waiter,
        CASE
            WHEN r.id IS NULL THEN format('waits for run %s but does not exist', x.awaited)
            WHEN r.status <> 'waiting'
                THEN format('%s run has a run_waits row for run %s', r.status, x.awaited)
            ELSE format('run_waits row for run %s, which it does not await', x.awaited)
        END
    FROM ratchet.run_waits AS x
    LEFT JOIN ratchet.runs AS r ON r.id = x.waiter
    LEFT JOIN ratchet.waits AS w ON w.run_id = x.waiter
    WHERE
        r.id IS NULL
        OR r.status <> 'waiting'
        OR NOT coalesce(x.awaited = ANY(w.runs), false)

    UNION ALL
    -- A run waiting for runs has a run_waits row, else nothing would ever wake it.
    SELECT 'run_waits_missing', w.run_id, 'waiting for runs with no run_waits row'
    FROM ratchet.waits AS w
    WHERE
        w.runs IS NOT NULL
        AND NOT EXISTS (SELECT 1 FROM ratchet.run_waits AS x WHERE x.waiter = w.run_id)

    UNION ALL
    -- The audit trail of every run starts with its creation.
    SELECT 'history_first', r.id, format('first history entry is %L', h.kind)
    FROM ratchet.runs AS r
    LEFT JOIN LATERAL (
        SELECT x.kind FROM ratchet.history AS x
        WHERE x.run_id = r.id
        ORDER BY x.id
        LIMIT 1
    ) AS h ON true
    WHERE h.kind IS DISTINCT FROM 'created'

    UNION ALL
    -- Steps, events and history are purged with their run, never before.
    SELECT 'orphan_step', s.run_id, format('step %L of a run that does not exist', s.name)
    FROM ratchet.steps AS s
    WHERE NOT EXISTS (SELECT 1 FROM ratchet.runs AS r WHERE r.id = s.run_id)

    UNION ALL
    SELECT 'orphan_event', e.run_id, format('event %s of a run that does not exist', e.id)
    FROM ratchet.events AS e
    WHERE NOT EXISTS (SELECT 1 FROM ratchet.runs AS r WHERE r.id = e.run_id)

    UNION ALL
    SELECT 'orphan_history', h.run_id, format('history entry %s of a run that does not exist', h.id)
    FROM ratchet.history AS h
    WHERE NOT EXISTS (SELECT 1 FROM ratchet.runs AS r WHERE r.id = h.run_id)

    UNION ALL
    -- Every slice has its four partitions with its bounds, and nothing else
    -- is attached: so every run (and its journal) lies in a slice, which
    -- retention drops or compacts as a whole (sql/16_slices.sql).
    SELECT
        'slice_partitions', null::bigint,
        format(
            'partition %s of ratchet.%s: expected %s, found %s',
            coalesce(x.part, a.part), coalesce(x.parent, a.parent),
            coalesce(x.bound, 'none'), coalesce(a.bound, 'none')
        )
    FROM (
        SELECT
            t.parent,
            t.parent || '_s' || s.slice AS part,
            format('FOR VALUES FROM (%L) TO (%L)', s.lo, s.hi) AS bound
        FROM ratchet.slices AS s
        CROSS JOIN unnest(ARRAY['runs', 'history', 'steps', 'events']) AS t (parent)
    ) AS x
    FULL JOIN (
        SELECT
            p.relname::text AS parent,
            c.relname::text AS part,
            pg_get_expr(c.relpartbound, c.oid) AS bound
        FROM pg_inherits AS i
        INNER JOIN pg_class AS c ON c.oid = i.inhrelid
        INNER JOIN pg_class AS p ON p.oid = i.inhparent
        WHERE i.inhparent IN (
            'ratchet.runs'::regclass, 'ratchet.history'::regclass,
            'ratchet.steps'::regclass, 'ratchet.events'::regclass
        )
    ) AS a ON a.parent = x.parent AND a.part = x.part
    WHERE x.bound IS DISTINCT FROM a.bound

    UNION ALL
    -- New runs get ids of the newest (open) slice.
    SELECT
        'open_slice', null::bigint,
        format('the next run id is %s, outside the open slice [%s, %s)', n.id, o.lo, o.hi)
    FROM (
        SELECT CASE WHEN q.is_called THEN q.last_value + 1 ELSE q.last_value END AS id
        FROM ratchet.runs_id_seq AS q
    ) AS n
    LEFT JOIN LATERAL (
        SELECT s.lo, s.hi FROM ratchet.slices AS s ORDER BY s.slice DESC LIMIT 1
    ) AS o ON true
    WHERE NOT coalesce(n.id >= o.lo AND n.id < o.hi, false);

    -- The operator's view agrees with the tables (for the queues the caller
    -- may read, which are the ones queue_stats shows). A view that raises is
    -- reported too, not allowed to hide the other rules' rows.
    BEGIN
        SELECT array_agg(
            format(
                'queue %L: queue_stats says %s, the tables say %s',
                coalesce(s.queue, d.queue), s.counts, d.counts
            )
            ORDER BY coalesce(s.queue, d.queue)
        )
        INTO v_stats
        FROM (
            SELECT
                x.queue,
                jsonb_build_object(
                    'paused', x.paused, 'concurrency', x.concurrency,
                    'queued', x.queued, 'running', x.running, 'sleeping', x.sleeping,
                    'waiting', x.waiting, 'completed', x.completed, 'failed', x.failed,
                    'cancelled', x.cancelled
                ) AS counts
            FROM ratchet.queue_stats AS x
        ) AS s
        FULL JOIN (
            SELECT
                q.name AS queue,
                jsonb_build_object(
                    'paused', q.paused, 'concurrency', q.concurrency,
                    'queued', count(r.id) FILTER (WHERE r.status = 'queued'),
                    'running', count(r.id) FILTER (WHERE r.status = 'running'),
                    'sleeping', count(r.id) FILTER (WHERE r.status = 'sleeping'),
                    'waiting', count(r.id) FILTER (WHERE r.status = 'waiting'),
                    'completed', count(r.id) FILTER (WHERE r.status = 'completed'),
                    'failed', count(r.id) FILTER (WHERE r.status = 'failed'),
                    'cancelled', count(r.id) FILTER (WHERE r.status = 'cancelled')
                ) AS counts
            FROM ratchet.queues AS q
            LEFT JOIN ratchet.runs AS r ON r.queue = q.name
            WHERE q.name = ANY(ratchet._readable_queues())
            GROUP BY q.name
        ) AS d ON s.queue = d.queue
        WHERE s.counts IS DISTINCT FROM d.counts;
    EXCEPTION WHEN OTHERS THEN
        v_stats := ARRAY[format('reading ratchet.queue_stats raised %s: %s', SQLSTATE, SQLERRM)];
    END;
    RETURN QUERY
    SELECT 'queue_stats'::text, null::bigint, u.detail
    FROM unnest(v_stats) AS u (detail);
END;
$$;

COMMENT ON FUNCTION ratchet.check_invariants() IS
'One row per violated consistency rule of the engine''s tables; empty when the state is consistent.';

-- ==== sql/80_tick.sql ====

-- One maintenance pass. Safe to call from many sessions at once: every part
-- skips rows another session holds, and each part is bounded per call.
CREATE OR REPLACE FUNCTION ratchet.tick()
RETURNS jsonb
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    v_now timestamptz := ratchet.now();
    v_batch constant integer := 1000;
    v_reclaimed integer;
    v_timed_out integer := 0;
    v_woken integer := 0;
    v_deadlines integer;
    v_purged integer;
    v_run bigint;
    v_queue text;
    v_w ratchet.waits;
BEGIN
    PERFORM ratchet._require_read_committed('tick');
    -- Workers run tick() too: it only does what the engine would do anyway.
    IF NOT pg_has_role(ratchet._caller(), 'ratchet_worker', 'MEMBER') THEN
        PERFORM ratchet._authorize_admin('tick');
    END IF;
    v_reclaimed := ratchet._reclaim(null, v_now, v_batch);

    -- Awaits whose timeout has passed record {"timed_out": true}. Lock the
    -- run, then read its wait again: a signal may have resumed it meanwhile.
    FOR v_run IN
        SELECT w.run_id FROM ratchet.waits AS w
        WHERE w.timeout_at <= v_now AND w.timeout_at IS NOT NULL
        ORDER BY w.run_id DESC
        LIMIT v_batch
    LOOP
        SELECT r.queue INTO v_queue FROM ratchet.runs AS r WHERE r.id = v_run
        FOR UPDATE SKIP LOCKED;
        IF NOT FOUND THEN
            CONTINUE;
        END IF;
        SELECT * INTO v_w FROM ratchet.waits AS w WHERE w.run_id = v_run AND w.timeout_at <= v_now;
        IF NOT FOUND THEN
            CONTINUE;
        END IF;
        BEGIN
            PERFORM ratchet._resume(
                v_w, v_queue, 'event', '{"timed_out": true}'::jsonb, v_now, 'timed_out'
            );
        EXCEPTION WHEN OTHERS THEN
            PERFORM ratchet._engine_fail(v_run, 'await timeout', SQLSTATE, SQLERRM, v_now);
        END;
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

    -- Retention by slices (sql/16_slices.sql), one session at a time: the
    -- others skip it. A part that fails is retried by the next tick; the
    -- pass goes on. Opening a slice comes last: it holds the run id sequence
    -- until this transaction ends.
    v_purged := 0;
    IF pg_try_advisory_xact_lock(hashtextextended('ratchet.slices', 0)) THEN
        BEGIN
            v_purged := ratchet._retire_slices(v_now);
        EXCEPTION WHEN OTHERS THEN
            RAISE WARNING 'pgratchet: purge failed: % (%)', SQLERRM, SQLSTATE;
        END;
        BEGIN
            PERFORM ratchet._rotate_slice(v_now);
        EXCEPTION
            WHEN lock_not_available THEN
                NULL;  -- a reader or writer held on: the next tick opens it
            WHEN OTHERS THEN
                RAISE WARNING 'pgratchet: opening a slice failed: % (%)', SQLERRM, SQLSTATE;
        END;
    END IF;

    RETURN jsonb_build_object(
        'reclaimed', v_reclaimed,
        'timed_out', v_timed_out,
        'woken', v_woken,
        'deadlines', v_deadlines,
        'purged', v_purged
    );
END;
$$;

-- ==== sql/94_trigger_guard.sql ====

-- Defence in depth against trigger-based escalation (defect D17). The public
-- API runs as the engine's owner, often a superuser, so a trigger on an
-- engine table would run its author's code with the owner's rights on the
-- next call. No group role gets TRIGGER on an engine table, but an operator
-- may still `GRANT ALL ON ALL TABLES`: this event trigger refuses CREATE
-- TRIGGER on a table of schema ratchet by anyone but the owner or a
-- superuser. Creating an event trigger needs a superuser; installs by other
-- roles (managed Postgres) skip it with a NOTICE and rely on the grants.
CREATE OR REPLACE FUNCTION ratchet._guard_triggers()
RETURNS event_trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_cmd record;
    v_table regclass;
BEGIN
    FOR v_cmd IN SELECT * FROM pg_event_trigger_ddl_commands() LOOP
        IF v_cmd.object_type <> 'trigger' THEN
            CONTINUE;
        END IF;
        SELECT t.tgrelid::regclass INTO v_table FROM pg_trigger AS t WHERE t.oid = v_cmd.objid;
        IF v_table IS NULL
            OR (SELECT c.relnamespace FROM pg_class AS c WHERE c.oid = v_table)
            <> 'ratchet'::regnamespace THEN
            CONTINUE;
        END IF;
        IF NOT (
            coalesce((SELECT r.rolsuper FROM pg_roles AS r WHERE r.rolname = current_user), false)
            OR pg_has_role(
                current_user, (SELECT c.relowner FROM pg_class AS c WHERE c.oid = v_table), 'MEMBER'
            )
        ) THEN
            RAISE EXCEPTION USING
                errcode = 'insufficient_privilege',
                message = format(
                    'only the owner of pgratchet may create triggers on %s', v_table
                ),
                hint = 'engine tables run their triggers with the owner''s rights; '
                || 'revoke TRIGGER on ratchet tables from other roles';
        END IF;
    END LOOP;
END;
$$;

DO $$
BEGIN
    IF EXISTS (
        SELECT 1 FROM pg_catalog.pg_event_trigger AS t
        WHERE t.evtname = 'ratchet_guard_triggers'
    ) THEN
        NULL;  -- an upgrade re-runs this file: the trigger already calls the function
    ELSIF (SELECT r.rolsuper FROM pg_catalog.pg_roles AS r WHERE r.rolname = current_user) THEN
        CREATE EVENT TRIGGER ratchet_guard_triggers ON ddl_command_end
        WHEN TAG IN ('CREATE TRIGGER')
        EXECUTE FUNCTION ratchet._guard_triggers();
    ELSE
        RAISE NOTICE 'pgratchet: not a superuser, so no event trigger guards the engine tables'
        USING HINT = 'never grant TRIGGER (or ALL) on ratchet tables to other roles';
    END IF;
END;
$$;

-- ==== sql/95_privileges.sql ====

-- The privilege model (docs/security.md). Every function of the public API
-- runs as the engine's owner (SECURITY DEFINER, search_path pinned) and
-- checks the caller itself (sql/15_access.sql); nobody but the owner gets
-- rights on the tables, so no role can rewrite history, forge a task or put
-- a trigger on an engine table. EXECUTE goes to the group roles only.

-- The public API (names without a leading underscore) and the row filter of
-- the views run as the owner; everything else is reachable only through them.
DO $$
DECLARE
    v_fn regprocedure;
BEGIN
    FOR v_fn IN
        SELECT p.oid::regprocedure FROM pg_catalog.pg_proc AS p
        WHERE
            p.pronamespace = 'ratchet'::regnamespace
            AND p.prokind = 'f'
            AND (left(p.proname, 1) <> '_' OR p.proname = '_readable_queues')
            AND p.prorettype <> 'trigger'::regtype
    LOOP
        EXECUTE pg_catalog.format('ALTER FUNCTION %s SECURITY DEFINER', v_fn);
    END LOOP;
END;
$$;

REVOKE ALL ON ALL FUNCTIONS IN SCHEMA ratchet FROM public;
REVOKE ALL ON ALL TABLES IN SCHEMA ratchet FROM public;
REVOKE ALL ON ALL SEQUENCES IN SCHEMA ratchet FROM public;

GRANT USAGE ON SCHEMA ratchet
TO ratchet_producer, ratchet_worker, ratchet_reader, ratchet_admin;

-- An admin may do what every other group may do.
DO $$
BEGIN
    EXECUTE 'GRANT ratchet_producer, ratchet_worker, ratchet_reader TO ratchet_admin';
EXCEPTION WHEN insufficient_privilege THEN
    RAISE WARNING 'pgratchet: could not make ratchet_admin a member of the other groups'
    USING HINT = 'a role with CREATEROLE can run: GRANT ratchet_producer, ratchet_worker, '
    || 'ratchet_reader TO ratchet_admin';
END;
$$;

-- Every group: the clock, the audit trail and the views (each filtered to
-- the queues the caller may read).
GRANT EXECUTE ON FUNCTION
ratchet.now, ratchet.version, ratchet.run_history, ratchet._readable_queues
TO ratchet_producer, ratchet_worker, ratchet_reader;
GRANT SELECT ON ratchet.runs, ratchet.queue_stats
TO ratchet_producer, ratchet_worker, ratchet_reader;

-- Clients (create_queue and register_workflow change nothing without manage
-- on the queue, but clients call them at start-up to make sure).
GRANT EXECUTE ON FUNCTION
ratchet.start, ratchet.start_many, ratchet.signal, ratchet.cancel, ratchet.retry,
ratchet.create_queue, ratchet.register_workflow
TO ratchet_producer;

-- Workers.
GRANT EXECUTE ON FUNCTION
ratchet.register_worker, ratchet.heartbeat, ratchet.deregister_worker,
ratchet.claim, ratchet.checkpoint, ratchet.complete, ratchet.complete_many,
ratchet.fail, ratchet.sleep, ratchet.await_event, ratchet.start_child,
ratchet.await_runs, ratchet.tick, ratchet.create_queue, ratchet.register_workflow
TO ratchet_worker;

-- Admins: rights, settings, and read access to every engine table.
GRANT EXECUTE ON FUNCTION
ratchet.grant_queue, ratchet.revoke_queue, ratchet.configure, ratchet.check_invariants
TO ratchet_admin;
GRANT SELECT ON ALL TABLES IN SCHEMA ratchet TO ratchet_admin;

-- Readers of ratchet.runs see only the queues they may read. The owner (the
-- engine's own functions) is not subject to the policy.
ALTER TABLE ratchet.runs ENABLE ROW LEVEL SECURITY;

-- Dropped first so that an upgrade, which re-runs this file, replaces it.
DROP POLICY IF EXISTS runs_readable ON ratchet.runs;

CREATE POLICY runs_readable ON ratchet.runs
FOR SELECT
TO ratchet_producer, ratchet_worker, ratchet_reader, ratchet_admin
USING (queue IN (SELECT unnest(ratchet._readable_queues())));
