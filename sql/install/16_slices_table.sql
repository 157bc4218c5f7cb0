-- Slices of run ids (sql/16_slices.sql): one row per slice whose partitions
-- of runs, history, steps and events exist. The newest slice is open: new
-- runs get its ids. Written by tick (rotation, retirement) and retry (which
-- forgets a closed slice's expiry when it re-opens one of its runs).
CREATE TABLE ratchet.slices (
    slice integer PRIMARY KEY CHECK (slice >= 0),
    lo bigint NOT NULL,
    hi bigint NOT NULL,
    opened_at timestamptz NOT NULL,
    -- When the last of its runs leaves its queue's retention; known once
    -- tick has found every run of the closed slice finished (one scan of
    -- it), null until then
    expires_at timestamptz,
    -- Before this time tick does not scan the closed slice again (null: at
    -- the next tick)
    recheck_at timestamptz,
    CHECK (lo >= 0 AND hi > lo)
);

COMMENT ON TABLE ratchet.slices IS
'Slices of run ids [lo, hi), each with its own partitions of runs, history, steps, events.';

-- Slice 0 holds the first 2^28 run ids.
SELECT ratchet._create_slice(0, clock_timestamp());
