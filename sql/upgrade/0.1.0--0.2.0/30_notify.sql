-- 0.1.0 -> 0.2.0, coalesced wake-ups (issue 8, item 4): the table that
-- records each queue's last NOTIFY, a row for every existing queue, and the
-- setting notify_interval_ms.

CREATE TABLE ratchet.queue_signals (
    queue text PRIMARY KEY REFERENCES ratchet.queues (name),
    notified_at timestamptz NOT NULL
) WITH (fillfactor = 10);

COMMENT ON TABLE ratchet.queue_signals IS
'Time of the last NOTIFY of each queue, for coalescing wake-ups; see ratchet._wake().';

-- '-infinity': no queue has notified yet, so each one's next wake-up is sent.
INSERT INTO ratchet.queue_signals (queue, notified_at)
SELECT
    q.name,
    '-infinity'::timestamptz AS notified_at
FROM ratchet.queues AS q;

ALTER TABLE ratchet.settings DROP CONSTRAINT settings_name_check;
ALTER TABLE ratchet.settings ADD CONSTRAINT settings_name_check CHECK (
    name IN (
        'max_payload_bytes', 'max_buffered_events', 'fake_clock', 'notify_interval_ms'
    )
);
