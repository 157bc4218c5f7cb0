-- A step checkpoint: (run, step) -> result, written once. The first writer
-- wins; every later writer gets the stored result back.
CREATE OR REPLACE FUNCTION ratchet.checkpoint(task bigint, step text, result jsonb)
RETURNS jsonb
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
-- Generic plans: re-planning these statements on every call costs more than running them.
SET plan_cache_mode = force_generic_plan
AS $$
#variable_conflict use_column
DECLARE
    v_now timestamptz := ratchet.now();
    v_t ratchet.tasks;
    v_stored jsonb;
BEGIN
    PERFORM ratchet._check_step(checkpoint.step);
    PERFORM ratchet._check_size('result', checkpoint.result);
    v_t := ratchet._hold(checkpoint.task, v_now);

    INSERT INTO ratchet.steps AS s (run_id, name, kind, result, created_at)
    VALUES (v_t.run_id, checkpoint.step, 'step', checkpoint.result, v_now)
    ON CONFLICT ON CONSTRAINT steps_pkey DO NOTHING;
    IF NOT FOUND THEN
        SELECT s.result INTO v_stored FROM ratchet.steps AS s
        WHERE s.run_id = v_t.run_id AND s.name = checkpoint.step;
        RETURN v_stored;
    END IF;
    PERFORM ratchet._durability(v_t.queue);
    PERFORM ratchet._log(v_t.run_id, 'step', checkpoint.step, null, v_now);
    RETURN checkpoint.result;
END;
$$;

-- The stored checkpoint of a step, if any (callers hold the run).
CREATE OR REPLACE FUNCTION ratchet._step(run_id bigint, step text)
RETURNS ratchet.steps
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    v_s ratchet.steps;
BEGIN
    SELECT s.* INTO v_s FROM ratchet.steps AS s
    WHERE s.run_id = _step.run_id AND s.name = _step.step;
    RETURN v_s;
END;
$$;
