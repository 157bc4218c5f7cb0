-- A worker reports a failed attempt of the body or of one step.
-- Returns 'retrying' (a new attempt is scheduled after backoff) or 'failed'.
CREATE OR REPLACE FUNCTION ratchet.fail(
    task bigint,
    error jsonb,
    step text DEFAULT null,
    retryable boolean DEFAULT true,
    max_attempts integer DEFAULT null
)
RETURNS text
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    v_now timestamptz := ratchet.now();
    v_t ratchet.tasks;
BEGIN
    IF fail.step IS NOT NULL THEN
        PERFORM ratchet._check_step(fail.step);
    END IF;
    IF fail.max_attempts IS NOT NULL AND fail.max_attempts < 1 THEN
        PERFORM ratchet._raise('RT005', format('max_attempts must be at least 1, got %s', fail.max_attempts));
    END IF;
    PERFORM ratchet._check_size('error', fail.error);
    v_t := ratchet._hold(fail.task, v_now);
    DELETE FROM ratchet.tasks AS t WHERE t.id = v_t.id;
    PERFORM ratchet._durability(v_t.queue);
    RETURN ratchet._after_failure(
        v_t.run_id, fail.step, coalesce(fail.error, '{}'::jsonb),
        coalesce(fail.retryable, true), fail.max_attempts, v_now
    );
END;
$$;
