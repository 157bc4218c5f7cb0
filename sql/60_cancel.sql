-- Cancel a run and, through parent links, all its live descendants. The
-- status changes at once; a worker holding one of them gets RT002 at its
-- next call. Returns false when the run had already finished.

-- The run and every run below it through parent links, finished or not, as
-- of this statement's snapshot.
CREATE OR REPLACE FUNCTION ratchet._run_tree(root bigint)
RETURNS bigint[]
LANGUAGE sql
SET search_path = pg_catalog, pg_temp
AS $$
    WITH RECURSIVE tree AS (
        SELECT _run_tree.root AS id
        UNION
        SELECT c.id FROM ratchet.runs AS c INNER JOIN tree AS t ON c.parent = t.id
    )

    SELECT array_agg(t.id ORDER BY t.id) FROM tree AS t;
$$;

CREATE OR REPLACE FUNCTION ratchet.cancel(run bigint, reason text DEFAULT null)
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
    PERFORM ratchet._require_read_committed('cancel');
    IF length(cancel.reason) > 2000 THEN
        PERFORM ratchet._raise(
            'RT005',
            format('cancel: reason is %s characters, over the limit of 2000', length(cancel.reason)),
            'give a short reason (at most 2000 characters) and keep details elsewhere'
        );
    END IF;
    SELECT * INTO v_root FROM ratchet.runs AS r WHERE r.id = cancel.run;
    IF NOT FOUND THEN
        PERFORM ratchet._raise('RT006', format('unknown run %s', cancel.run));
    END IF;
    PERFORM ratchet._authorize(v_root.queue, 'produce');
    IF v_root.finished_at IS NOT NULL THEN
        RETURN false;
    END IF;

    -- Lock the whole tree newest first (children before parents: the order a
    -- finishing child takes when it wakes its waiter). The tree read before
    -- the locks may be stale: a start_child that held a run of it commits a
    -- new child while we wait (D8). So, under the locks, read the tree again
    -- with a fresh statement; once every run is locked no run of it can get
    -- a new child (start_child locks its run first), so the tree is final
    -- when that second read adds nothing. If it adds runs, locking them now
    -- would take a child after its parent, and deadlock with a session
    -- holding the new child and waiting for the parent (await_runs on it, or
    -- its end waking a waiter in the tree). Instead, undo this attempt's
    -- locks (the block's subtransaction) and lock the larger tree in order.
    LOOP
        BEGIN
            v_ids := ratchet._run_tree(cancel.run);
            PERFORM 1 FROM ratchet.runs AS r
            WHERE r.id = ANY(v_ids)
            ORDER BY r.id DESC
            FOR UPDATE;
            EXIT WHEN ratchet._run_tree(cancel.run) <@ v_ids;
            RAISE EXCEPTION USING errcode = 'RTX01', message = 'cancel: the tree grew, lock again';
        EXCEPTION WHEN SQLSTATE 'RTX01' THEN
            NULL;
        END;
    END LOOP;

    -- Lock, then test (D7): a run that finished while we waited is not ours
    -- to cancel, and nothing changes.
    IF coalesce(
        (SELECT r.finished_at IS NOT NULL FROM ratchet.runs AS r WHERE r.id = cancel.run), true
    ) THEN
        RETURN false;
    END IF;

    -- Cancel oldest first so a parent is cancelled before its children's
    -- ends could wake it.
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
