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
