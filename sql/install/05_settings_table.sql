-- Engine-wide limits and switches. They live in a table only an admin can
-- change (ratchet.configure), never in session settings, so nothing a session
-- can SET changes the engine for anyone else (defect D12). The table holds
-- overrides only; ratchet._setting() falls back to the built-in default.
CREATE TABLE ratchet.settings (
    name text PRIMARY KEY CHECK (
        name IN (
            'max_payload_bytes', 'max_buffered_events', 'fake_clock', 'notify_interval_ms'
        )
    ),
    value jsonb NOT NULL,
    updated_at timestamptz NOT NULL
);

COMMENT ON TABLE ratchet.settings IS
'Engine settings changed from their defaults; see ratchet.configure().';
