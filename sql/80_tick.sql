-- One maintenance pass. Safe to call from many sessions at once: every part
-- skips rows another session holds, and each part is bounded per call.
CREATE OR REPLACE FUNCTION ratchet.tick()
RETURNS jsonb
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    v_now timestamptz := ratchet.now();
    v_batch constant integer := 1000;
    v_reclaimed integer;
    v_timed_out integer := 0;
    v_woken integer := 0;
    v_deadlines integer;
    v_purged integer;
    v_run bigint;
    v_queue text;
    v_w ratchet.waits;
BEGIN
    PERFORM ratchet._require_read_committed('tick');
    -- Workers run tick() too: it only does what the engine would do anyway.
    IF NOT pg_has_role(ratchet._caller(), 'ratchet_worker', 'MEMBER') THEN
        PERFORM ratchet._authorize_admin('tick');
    END IF;
    v_reclaimed := ratchet._reclaim(null, v_now, v_batch);

    -- Awaits whose timeout has passed record {"timed_out": true}. Lock the
    -- run, then read its wait again: a signal may have resumed it meanwhile.
    FOR v_run IN
        SELECT w.run_id FROM ratchet.waits AS w
        WHERE w.timeout_at <= v_now AND w.timeout_at IS NOT NULL
        ORDER BY w.run_id DESC
        LIMIT v_batch
    LOOP
        SELECT r.queue INTO v_queue FROM ratchet.runs AS r WHERE r.id = v_run
        FOR UPDATE SKIP LOCKED;
        IF NOT FOUND THEN
            CONTINUE;
        END IF;
        SELECT * INTO v_w FROM ratchet.waits AS w WHERE w.run_id = v_run AND w.timeout_at <= v_now;
        IF NOT FOUND THEN
            CONTINUE;
        END IF;
        BEGIN
            PERFORM ratchet._resume(
                v_w, v_queue, 'event', '{"timed_out": true}'::jsonb, v_now, 'timed_out'
            );
        EXCEPTION WHEN OTHERS THEN
            PERFORM ratchet._engine_fail(v_run, 'await timeout', SQLSTATE, SQLERRM, v_now);
        END;
        v_timed_out := v_timed_out + 1;
    END LOOP;

    v_deadlines := ratchet._enforce_deadlines(v_now, v_batch);

    -- Sleepers past their wake time are claimable already; mark them queued
    -- so queue_stats shows them as ready work.
    WITH due AS (
        SELECT r.id FROM ratchet.runs AS r
        INNER JOIN ratchet.pending AS p ON p.run_id = r.id
        WHERE p.due_at <= v_now AND r.status = 'sleeping'
        ORDER BY r.id DESC
        LIMIT v_batch
        FOR UPDATE OF r SKIP LOCKED
    ),

    flipped AS (
        UPDATE ratchet.runs AS r SET status = 'queued'
        FROM due AS d WHERE r.id = d.id
        RETURNING r.id
    ),

    logged AS (
        INSERT INTO ratchet.history (run_id, at, kind, step, detail)
        SELECT f.id, v_now, 'woken', null, '{"kind": "sleep"}'::jsonb FROM flipped AS f
    )

    SELECT count(*) INTO v_woken FROM flipped;

    -- Retention by slices (sql/16_slices.sql), one session at a time: the
    -- others skip it. A part that fails is retried by the next tick; the
    -- pass goes on. Opening a slice comes last: it holds the run id sequence
    -- until this transaction ends.
    v_purged := 0;
    IF pg_try_advisory_xact_lock(hashtextextended('ratchet.slices', 0)) THEN
        BEGIN
            v_purged := ratchet._retire_slices(v_now);
        EXCEPTION WHEN OTHERS THEN
            RAISE WARNING 'pgratchet: purge failed: % (%)', SQLERRM, SQLSTATE;
        END;
        BEGIN
            PERFORM ratchet._rotate_slice(v_now);
        EXCEPTION
            WHEN lock_not_available THEN
                NULL;  -- a reader or writer held on: the next tick opens it
            WHEN OTHERS THEN
                RAISE WARNING 'pgratchet: opening a slice failed: % (%)', SQLERRM, SQLSTATE;
        END;
    END IF;

    RETURN jsonb_build_object(
        'reclaimed', v_reclaimed,
        'timed_out', v_timed_out,
        'woken', v_woken,
        'deadlines', v_deadlines,
        'purged', v_purged
    );
END;
$$;
