-- When a task of a concurrency-limited queue ends, a slot frees up and work
-- that was held back is claimable now: tell the queue's workers. One
-- statement trigger covers every way a task ends (complete, fail, sleep,
-- await, cancel, reclaim, hand-back), coalesced like every wake-up.
CREATE OR REPLACE FUNCTION ratchet._slot_freed()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM ratchet._wake(q.name)
    FROM ratchet.queues AS q
    WHERE
        q.concurrency IS NOT NULL
        AND q.notify
        AND NOT q.paused
        AND q.name IN (SELECT e.queue FROM ended AS e);
    RETURN null;
END;
$$;

CREATE OR REPLACE TRIGGER tasks_slot_freed
AFTER DELETE ON ratchet.tasks
REFERENCING OLD TABLE AS ended
FOR EACH STATEMENT
EXECUTE FUNCTION ratchet._slot_freed();
