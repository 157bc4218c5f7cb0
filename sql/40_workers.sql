-- Workers register, heartbeat to keep their leases, and deregister.

CREATE OR REPLACE FUNCTION ratchet.register_worker(
    name text, queues text[], workflows text[] DEFAULT null
)
RETURNS bigint
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    v_now timestamptz := ratchet.now();
    v_missing text;
    v_id bigint;
BEGIN
    IF register_worker.name IS NULL OR length(register_worker.name) NOT BETWEEN 1 AND 200 THEN
        PERFORM ratchet._raise('RT005', 'a worker name is a text of 1 to 200 characters');
    END IF;
    IF register_worker.queues IS NULL OR cardinality(register_worker.queues) = 0
        OR array_position(register_worker.queues, null) IS NOT NULL THEN
        PERFORM ratchet._raise(
            'RT005', 'a worker needs at least one queue, and no null in its queues'
        );
    END IF;
    -- null means every workflow; an empty list would mean none: such a worker
    -- could never claim anything.
    IF cardinality(register_worker.workflows) = 0
        OR array_position(register_worker.workflows, null) IS NOT NULL THEN
        PERFORM ratchet._raise(
            'RT005', 'workflows must be null (any workflow) or a list of workflow names without nulls',
            'leave workflows out to claim runs of every workflow in the worker''s queues'
        );
    END IF;
    SELECT u.q INTO v_missing
    FROM unnest(register_worker.queues) AS u (q)
    WHERE NOT EXISTS (SELECT 1 FROM ratchet.queues AS q WHERE q.name = u.q)
    LIMIT 1;
    IF FOUND THEN
        PERFORM ratchet._raise(
            'RT004', format('unknown queue %L', v_missing),
            'create it first with ratchet.create_queue()'
        );
    END IF;
    PERFORM ratchet._authorize(u.q, 'work') FROM unnest(register_worker.queues) AS u (q);
    SELECT u.w INTO v_missing
    FROM unnest(register_worker.workflows) AS u (w)
    WHERE NOT EXISTS (SELECT 1 FROM ratchet.workflows AS w WHERE w.name = u.w)
    LIMIT 1;
    IF FOUND THEN
        PERFORM ratchet._raise(
            'RT003', format('unknown workflow %L', v_missing),
            'register it first with ratchet.register_workflow()'
        );
    END IF;
    INSERT INTO ratchet.workers AS w (
        name, queues, workflows, owner, registered_at, last_seen_at
    )
    VALUES (
        register_worker.name,
        ARRAY(SELECT DISTINCT u.q FROM unnest(register_worker.queues) AS u (q) ORDER BY u.q),
        CASE WHEN register_worker.workflows IS NOT NULL THEN
            ARRAY(SELECT DISTINCT u.w FROM unnest(register_worker.workflows) AS u (w) ORDER BY u.w)
        END,
        ratchet._caller(),
        v_now,
        v_now
    )
    RETURNING w.id INTO v_id;
    RETURN v_id;
END;
$$;

-- The live worker row, or RT007; 42501 when the caller is not the role that
-- registered it (worker ids are not bearer tokens).
CREATE OR REPLACE FUNCTION ratchet._worker(worker bigint)
RETURNS ratchet.workers
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    v_w ratchet.workers;
BEGIN
    SELECT * INTO v_w FROM ratchet.workers AS w
    WHERE w.id = _worker.worker AND w.deregistered_at IS NULL;
    IF NOT FOUND THEN
        PERFORM ratchet._raise(
            'RT007', format('unknown or deregistered worker %s', _worker.worker),
            'register the worker again with ratchet.register_worker()'
        );
    END IF;
    PERFORM ratchet._authorize_owner(v_w.owner, format('worker %s', v_w.id));
    RETURN v_w;
END;
$$;

-- Extends every live lease of the worker; an expired lease stays lost.
CREATE OR REPLACE FUNCTION ratchet.heartbeat(worker bigint)
RETURNS timestamptz
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    v_now timestamptz := ratchet.now();
    v_next timestamptz;
BEGIN
    PERFORM ratchet._worker(heartbeat.worker);
    UPDATE ratchet.workers AS w SET last_seen_at = v_now WHERE w.id = heartbeat.worker;
    WITH renewed AS (
        UPDATE ratchet.tasks AS t
        SET lease_expires_at = v_now + q.lease
        FROM ratchet.queues AS q
        WHERE
            t.worker_id = heartbeat.worker
            AND q.name = t.queue
            AND t.lease_expires_at > v_now
        RETURNING t.lease_expires_at
    )

    SELECT min(r.lease_expires_at) INTO v_next FROM renewed AS r;
    RETURN v_next;
END;
$$;

-- Hands the worker's live tasks back to their queues (no failure counted)
-- and retires the worker id. Returns how many tasks were handed back.
CREATE OR REPLACE FUNCTION ratchet.deregister_worker(worker bigint)
RETURNS integer
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    v_now timestamptz := ratchet.now();
    v_task ratchet.tasks;
    v_count integer := 0;
BEGIN
    PERFORM ratchet._require_read_committed('deregister_worker');
    PERFORM ratchet._worker(deregister_worker.worker);
    UPDATE ratchet.workers AS w SET deregistered_at = v_now, last_seen_at = v_now
    WHERE w.id = deregister_worker.worker;

    FOR v_task IN
        SELECT t.* FROM ratchet.tasks AS t
        WHERE t.worker_id = deregister_worker.worker
        ORDER BY t.run_id DESC
    LOOP
        PERFORM 1 FROM ratchet.runs AS r WHERE r.id = v_task.run_id FOR UPDATE;
        DELETE FROM ratchet.tasks AS t WHERE t.id = v_task.id;
        IF NOT FOUND THEN
            CONTINUE;
        END IF;
        IF v_task.lease_expires_at <= v_now THEN
            -- Already lost: the same outcome as a reclaim by tick or claim.
            PERFORM ratchet._lease_lost(v_task, v_now);
            CONTINUE;
        END IF;
        UPDATE ratchet.runs AS r SET status = 'queued' WHERE r.id = v_task.run_id;
        PERFORM ratchet._pend(v_task.run_id, v_now);
        PERFORM ratchet._log(
            v_task.run_id, 'handed_back', null,
            jsonb_build_object('task', v_task.id, 'worker', v_task.worker_id), v_now
        );
        PERFORM ratchet._wake(v_task.queue);
        v_count := v_count + 1;
    END LOOP;
    RETURN v_count;
END;
$$;
