-- Re-queue a failed or cancelled run. Its completed steps stay completed;
-- error, output and failure counts are cleared and the attempt goes up.
-- A run whose deadline has passed gets a new window of the same length (and
-- a ratchet.deadlines row again).
CREATE OR REPLACE FUNCTION ratchet.retry(run bigint)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    v_now timestamptz := ratchet.now();
    v_r ratchet.runs;
    v_deadline timestamptz;
BEGIN
    PERFORM ratchet._require_read_committed('retry');
    SELECT * INTO v_r FROM ratchet.runs AS r WHERE r.id = retry.run FOR UPDATE;
    IF NOT FOUND THEN
        PERFORM ratchet._raise('RT006', format('unknown run %s', retry.run));
    END IF;
    PERFORM ratchet._authorize(v_r.queue, 'produce');
    IF v_r.status NOT IN ('failed', 'cancelled') THEN
        PERFORM ratchet._raise(
            'RT008', format('run %s is %s: only failed or cancelled runs can be retried', v_r.id, v_r.status)
        );
    END IF;
    UPDATE ratchet.runs AS r SET
        status = 'queued',
        error = null,
        output = null,
        finished_at = null,
        failures = '{}',
        attempt = r.attempt + 1,
        deadline = CASE
            WHEN r.deadline <= v_now THEN v_now + (r.deadline - r.created_at)
            ELSE r.deadline
        END
    WHERE r.id = v_r.id
    RETURNING r.deadline INTO v_deadline;
    IF v_deadline IS NOT NULL THEN
        INSERT INTO ratchet.deadlines (run_id, deadline) VALUES (v_r.id, v_deadline);
    END IF;
    -- The run's slice may have a known expiry (sql/16_slices.sql): the run
    -- will end again later, so tick must look at the slice again. Done
    -- unconditionally: a tick scanning the slice holds this row, and the
    -- update waits for it, so the scan never misses this retry.
    UPDATE ratchet.slices AS s SET expires_at = null, recheck_at = null
    WHERE v_r.id >= s.lo AND v_r.id < s.hi;
    PERFORM ratchet._pend(v_r.id, v_now);
    PERFORM ratchet._log(
        v_r.id, 'retried', null, jsonb_build_object('previous_status', v_r.status), v_now
    );
    PERFORM ratchet._durability(v_r.queue);
    PERFORM ratchet._wake(v_r.queue);
END;
$$;
