-- Parsers for option values. Each one names the option in its error, says
-- what is allowed, and treats JSON null as "not given" (callers decide what
-- null means for them).

-- Durations are text that casts to interval ('30 seconds') or seconds.
CREATE FUNCTION ratchet._opt_interval(key text, value jsonb)
RETURNS interval
LANGUAGE plpgsql
IMMUTABLE
SET search_path = pg_catalog, pg_temp
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

CREATE FUNCTION ratchet._opt_int(key text, value jsonb, min_value bigint, max_value bigint)
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

CREATE FUNCTION ratchet._opt_bool(key text, value jsonb)
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

CREATE FUNCTION ratchet._opt_timestamptz(key text, value jsonb)
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
