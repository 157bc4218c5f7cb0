-- A durable timer. The step records its wake time on the first call, so a
-- replay of "sleep 5 minutes" does not restart the timer. While it sleeps the
-- run is only a pending row due at wake_at: no worker, thread or connection.
CREATE OR REPLACE FUNCTION ratchet.sleep(task bigint, step text, wake_at timestamptz)
RETURNS boolean
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    v_now timestamptz := ratchet.now();
    v_t ratchet.tasks;
    v_s ratchet.steps;
    v_wake timestamptz;
BEGIN
    PERFORM ratchet._check_step(sleep.step);
    IF sleep.wake_at IS NULL OR NOT isfinite(sleep.wake_at)
        OR sleep.wake_at > v_now + interval '100 years' THEN
        PERFORM ratchet._raise(
            'RT005', format('sleep: wake_at must be a finite time at most 100 years ahead, got %s', sleep.wake_at)
        );
    END IF;
    v_t := ratchet._hold(sleep.task, v_now);

    v_s := ratchet._step(v_t.run_id, sleep.step);
    IF v_s.run_id IS NULL THEN
        v_wake := sleep.wake_at;
        INSERT INTO ratchet.steps (run_id, name, kind, result, created_at)
        VALUES (
            v_t.run_id, sleep.step, 'sleep',
            jsonb_build_object('wake_at', v_wake), v_now
        );
    ELSIF v_s.kind = 'sleep' THEN
        v_wake := (v_s.result ->> 'wake_at')::timestamptz;
    ELSE
        -- The name holds another kind of step: its value stands, carry on.
        RETURN false;
    END IF;

    IF v_wake <= v_now THEN
        IF v_s.run_id IS NULL THEN
            PERFORM ratchet._log(
                v_t.run_id, 'step', sleep.step, jsonb_build_object('wake_at', v_wake), v_now
            );
        END IF;
        RETURN false;
    END IF;

    PERFORM ratchet._suspend(
        v_t, sleep.step, jsonb_build_object('wake_at', v_wake), v_now, wake_at => v_wake
    );
    RETURN true;
END;
$$;
