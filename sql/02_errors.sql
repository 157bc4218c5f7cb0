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
