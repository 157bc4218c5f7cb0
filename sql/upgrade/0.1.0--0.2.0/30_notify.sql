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
