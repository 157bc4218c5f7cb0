-- Cancel a run and, through parent links, all its live descendants. The
-- status changes at once; a worker holding one of them gets RT002 at its
-- next call. Returns false when the run had already finished.
CREATE FUNCTION ratchet.cancel(run bigint, reason text DEFAULT null)
RETURNS boolean
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    v_now timestamptz := ratchet.now();
    v_root ratchet.runs;
    v_ids bigint[];
    v_id bigint;
    v_error jsonb;
BEGIN
    SELECT * INTO v_root FROM ratchet.runs AS r WHERE r.id = cancel.run;
    IF NOT FOUND THEN
        PERFORM ratchet._raise('RT006', format('unknown run %s', cancel.run));
    END IF;
    PERFORM ratchet._authorize(v_root.queue, 'produce');
    IF v_root.finished_at IS NOT NULL THEN
        RETURN false;
    END IF;

    -- Lock the whole tree newest first (children before parents: the order a
    -- finishing child takes), then cancel it oldest first so a parent is
    -- cancelled before its children's ends could wake it.
    WITH RECURSIVE tree AS (
        SELECT cancel.run AS id
        UNION
        SELECT c.id FROM ratchet.runs AS c INNER JOIN tree AS t ON c.parent = t.id
    )

    SELECT array_agg(l.id ORDER BY l.id) INTO v_ids
    FROM (
        SELECT r.id FROM ratchet.runs AS r
        WHERE r.id IN (SELECT t.id FROM tree AS t)
        ORDER BY r.id DESC
        FOR UPDATE
    ) AS l;

    FOREACH v_id IN ARRAY v_ids LOOP
        IF (SELECT r.finished_at FROM ratchet.runs AS r WHERE r.id = v_id) IS NOT NULL THEN
            CONTINUE;
        END IF;
        v_error := jsonb_build_object('cancelled', true, 'reason', cancel.reason);
        IF v_id <> cancel.run THEN
            v_error := v_error || jsonb_build_object('cancelled_with', cancel.run);
        END IF;
        PERFORM ratchet._end_run(
            v_id, 'cancelled', v_error, 'RT002', 'the run was cancelled', v_now
        );
    END LOOP;
    RETURN true;
END;
$$;
