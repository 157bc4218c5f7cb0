-- Slices of run ids (sql/16_slices.sql): one row per slice whose partitions
-- of runs, history, steps and events exist. The newest slice is open: new
-- runs get its ids. Written only by tick (rotation, retirement).
CREATE TABLE ratchet.slices (
    slice integer PRIMARY KEY CHECK (slice BETWEEN 0 AND 2097151),
    lo bigint NOT NULL,
    hi bigint NOT NULL,
    opened_at timestamptz NOT NULL,
    CHECK (lo = slice::bigint * 4294967296 AND hi = lo + 4294967296)
);

COMMENT ON TABLE ratchet.slices IS
'Slices of run ids [lo, hi), each with its own partitions of runs, history, steps, events.';

-- Slice 0 holds the first 2^32 run ids.
SELECT ratchet._create_slice(0, clock_timestamp());
