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
