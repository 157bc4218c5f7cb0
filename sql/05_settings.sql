-- Engine-wide limits and switches. They live in a table only an admin can
-- change (ratchet.configure), never in session settings, so nothing a session
-- can SET changes the engine for anyone else (defect D12). The table holds
-- overrides only; ratchet._setting() falls back to the built-in default.
CREATE TABLE ratchet.settings (
    name text PRIMARY KEY CHECK (
        name IN ('max_payload_bytes', 'max_buffered_events', 'fake_clock')
    ),
    value jsonb NOT NULL,
    updated_at timestamptz NOT NULL
);

COMMENT ON TABLE ratchet.settings IS
'Engine settings changed from their defaults; see ratchet.configure().';

-- Hot-path helpers here and in sql/14_helpers.sql are plpgsql rather than
-- sql: a sql function with a SET clause is never inlined and is re-planned on
-- every call, while plpgsql keeps its plans for the session.

-- The built-in defaults (null for an unknown name).
CREATE FUNCTION ratchet._setting_default(name text)
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
    END;
END;
$$;

-- The value in force: the admin's override, else the default.
CREATE FUNCTION ratchet._setting(name text)
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
