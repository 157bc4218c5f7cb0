-- When each queue last sent a wake-up (ratchet._wake): two rows (slots) per
-- queue, created with the queue. Producers read them without a lock and stamp
-- one at most about once per notify_interval_ms, so the rows see a few
-- updates a second at most: a low fillfactor keeps each update on its page
-- (HOT), and no index covers notified_at, which every such update rewrites.
CREATE TABLE ratchet.queue_signals (
    queue text NOT NULL REFERENCES ratchet.queues (name) ON DELETE CASCADE,
    slot smallint NOT NULL CHECK (slot IN (0, 1)),
    notified_at timestamptz NOT NULL,
    PRIMARY KEY (queue, slot)
) WITH (fillfactor = 10);

COMMENT ON TABLE ratchet.queue_signals IS
'Time of the last NOTIFY of each queue, in two slots, for coalescing wake-ups; see ratchet._wake().';
