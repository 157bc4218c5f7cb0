-- When each queue last sent a wake-up (ratchet._wake). One row per queue,
-- created with the queue. Producers read it without a lock and write it at
-- most once per notify_interval_ms, so its rows see a few updates a second
-- at most: a low fillfactor keeps each update on its page (HOT), and no
-- index covers notified_at, which every such update rewrites.
CREATE TABLE ratchet.queue_signals (
    queue text PRIMARY KEY REFERENCES ratchet.queues (name),
    notified_at timestamptz NOT NULL
) WITH (fillfactor = 10);

COMMENT ON TABLE ratchet.queue_signals IS
'Time of the last NOTIFY of each queue, for coalescing wake-ups; see ratchet._wake().';
