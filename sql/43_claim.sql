-- Claim: hand up to max_tasks ready runs to a worker, each as a new task.
-- Across the worker's queues the order is priority first; at equal priority
-- the queues take turns (the first ready run of each, then the second of
-- each, ...) in an order drawn at random on each claim; within a queue, due
-- time, then id. Claims never wait on a row another session holds (SKIP
-- LOCKED on pending and on runs), so claimers cannot deadlock with each
-- other or with cancel. Claim needs READ COMMITTED: its free-slot count must
-- see the tasks committed before it got the queue's lock.
CREATE OR REPLACE FUNCTION ratchet.claim(worker bigint, max_tasks integer DEFAULT 1)
RETURNS TABLE (
    task bigint,
    run bigint,
    workflow text,
    version text,
    queue text,
    input jsonb,
    attempt integer,
    checkpoints jsonb,
    steps text[],
    lease_expires_at timestamptz,
    deadline timestamptz
)
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
-- Generic plans: re-planning these statements on every call costs more than running them.
SET plan_cache_mode = force_generic_plan
-- No JIT: a generic plan cannot see its LIMITs, so with a deep pending table its estimated
-- cost passes jit_above_cost and every claim would compile its main statement (~15 ms per
-- priority level visited, against well under a millisecond to run it).
SET jit = off
AS $$
#variable_conflict use_column
DECLARE
    v_now timestamptz := ratchet.now();
    v_w ratchet.workers;
    v_queues text[];
    v_budgets integer[];
    v_turns double precision[];
    v_level integer := -32769;
    v_need integer := claim.max_tasks;
    v_ids bigint[] := '{}';
    v_taken bigint[];
    v_from text[];
BEGIN
    PERFORM ratchet._require_read_committed('claim');
    IF claim.max_tasks IS NULL OR claim.max_tasks NOT BETWEEN 1 AND 1000 THEN
        PERFORM ratchet._raise(
            'RT005', format('max_tasks must be from 1 to 1000, got %s', claim.max_tasks)
        );
    END IF;
    v_w := ratchet._worker(claim.worker);

    -- Recovery needs no control plane: expired leases and passed deadlines
    -- are dealt with here as well as in tick().
    PERFORM ratchet._reclaim(v_w.queues, v_now, 100);
    PERFORM ratchet._enforce_deadlines(v_now, 100);

    SELECT array_agg(q.name ORDER BY q.name), array_agg(q.concurrency ORDER BY q.name)
    INTO v_queues, v_budgets
    FROM ratchet.queues AS q
    -- A revoked work right stops claims at once, not at re-registration.
    WHERE q.name = ANY(v_w.queues) AND NOT q.paused AND ratchet._can(q.name, 'work');
    IF v_queues IS NULL THEN
        RETURN;
    END IF;

    -- A limited queue admits one claimer at a time, so two claims cannot both
    -- see the last free slot. Locks are taken in name order.
    FOR i IN 1 .. cardinality(v_queues) LOOP
        IF v_budgets[i] IS NOT NULL THEN
            PERFORM pg_advisory_xact_lock(hashtextextended('ratchet.claim:' || v_queues[i], 0));
            v_budgets[i] := greatest(
                v_budgets[i] - (
                    SELECT count(*) FROM ratchet.tasks AS t
                    WHERE t.queue = v_queues[i] AND t.lease_expires_at > v_now
                ),
                0
            );
        END IF;
    END LOOP;

    -- One random turn per queue for this claim: a stateless round robin.
    v_turns := ARRAY(SELECT random() FROM generate_series(1, cardinality(v_queues)));

    -- Priority levels best first, each found by one index descent per queue,
    -- so neither rows not yet due nor the rest of a level are ever read.
    LOOP
        v_level := (
            SELECT min(l.priority)
            FROM unnest(v_queues, v_budgets) AS q (name, budget)
            CROSS JOIN LATERAL (
                SELECT p.priority FROM ratchet.pending AS p
                WHERE p.queue = q.name AND p.priority > v_level
                ORDER BY p.priority
                LIMIT 1
            ) AS l
            WHERE q.budget IS NULL OR q.budget > 0
        );
        EXIT WHEN v_level IS NULL;

        -- Lock the level's due rows of each queue, within its free slots (a
        -- worker limited to some workflows reads only theirs), and keep the
        -- n-th of every queue before any queue's (n+1)-th.
        SELECT array_agg(c.run_id), array_agg(c.queue) INTO v_taken, v_from
        FROM (
            SELECT d.run_id, d.queue
            FROM (
                SELECT
                    f.run_id, f.queue, f.budget, f.turn,
                    row_number() OVER (
                        PARTITION BY f.queue ORDER BY f.due_at, f.run_id
                    ) AS rank
                FROM (
                    SELECT q.name AS queue, q.budget, q.turn, p.run_id, p.due_at
                    FROM unnest(v_queues, v_budgets, v_turns) AS q (name, budget, turn)
                    CROSS JOIN LATERAL (
                        SELECT p.run_id, p.due_at FROM ratchet.pending AS p
                        WHERE
                            v_w.workflows IS NULL
                            AND p.queue = q.name
                            AND p.priority = v_level
                            AND p.due_at <= v_now
                        ORDER BY p.due_at, p.run_id
                        LIMIT least(q.budget, v_need)
                        FOR UPDATE SKIP LOCKED
                    ) AS p
                    UNION ALL
                    SELECT q.name AS queue, q.budget, q.turn, p.run_id, p.due_at
                    FROM unnest(v_queues, v_budgets, v_turns) AS q (name, budget, turn)
                    CROSS JOIN (SELECT DISTINCT unnest(v_w.workflows)) AS wf (name)
                    CROSS JOIN LATERAL (
                        SELECT p.run_id, p.due_at FROM ratchet.pending AS p
                        WHERE
                            p.queue = q.name
                            AND p.workflow = wf.name
                            AND p.priority = v_level
                            AND p.due_at <= v_now
                        ORDER BY p.due_at, p.run_id
                        LIMIT least(q.budget, v_need)
                        FOR UPDATE SKIP LOCKED
                    ) AS p
                ) AS f
            ) AS d
            WHERE d.budget IS NULL OR d.rank <= d.budget
            ORDER BY d.rank, d.turn, d.queue
            LIMIT v_need
        ) AS c;

        IF v_taken IS NOT NULL THEN
            v_ids := v_ids || v_taken;
            v_need := v_need - cardinality(v_taken);
            EXIT WHEN v_need = 0;
            FOR i IN 1 .. cardinality(v_queues) LOOP
                v_budgets[i] := v_budgets[i] - cardinality(array_positions(v_from, v_queues[i]));
            END LOOP;
        END IF;
    END LOOP;
    IF v_need = claim.max_tasks THEN
        RETURN;
    END IF;

    -- Then their runs; one busy elsewhere (cancel, signal) is left for later.
    -- runs is partitioned by id (sql/16_slices.sql): r.id = ANY(v_ids) is an
    -- index condition that also prunes the slices holding none of the ids at
    -- executor start, where a join with unnest(...) would make a generic plan
    -- scan every slice.
    SELECT array_agg(l.id) INTO v_ids
    FROM (
        SELECT r.id FROM ratchet.runs AS r
        WHERE r.id = ANY(v_ids)
        ORDER BY r.id DESC
        FOR UPDATE SKIP LOCKED
    ) AS l;
    IF v_ids IS NULL THEN
        RETURN;
    END IF;

    INSERT INTO ratchet.history (run_id, at, kind, step, detail)
    SELECT r.id, v_now, 'woken', null, '{"kind": "sleep"}'::jsonb
    FROM ratchet.runs AS r
    WHERE r.id = ANY(v_ids) AND r.status = 'sleeping'
    ORDER BY r.id;

    RETURN QUERY
    WITH gone AS (
        DELETE FROM ratchet.pending AS p WHERE p.run_id IN (SELECT unnest(v_ids))
    ),

    held AS (
        INSERT INTO ratchet.tasks AS t (
            id, run_id, worker_id, queue, deadline, claimed_at, lease_expires_at
        )
        SELECT
            nextval('ratchet.task_ids'), r.id, claim.worker, r.queue, r.deadline,
            v_now, v_now + q.lease
        FROM ratchet.runs AS r
        INNER JOIN ratchet.queues AS q ON q.name = r.queue
        WHERE r.id = ANY(v_ids)
        ORDER BY r.id
        RETURNING t.*
    ),

    started AS (
        UPDATE ratchet.runs AS r SET
            status = 'running',
            started_at = coalesce(r.started_at, v_now)
        FROM held AS h
        WHERE r.id = h.run_id AND r.id = ANY(v_ids)
        RETURNING r.*
    ),

    logged AS (
        INSERT INTO ratchet.history (run_id, at, kind, step, detail)
        SELECT
            h.run_id, v_now, 'claimed', null,
            jsonb_build_object(
                'task', h.id, 'worker', claim.worker, 'attempt', s.attempt,
                'lease_expires_at', h.lease_expires_at
            )
        FROM held AS h
        INNER JOIN started AS s ON s.id = h.run_id
        ORDER BY h.run_id
    )

    SELECT
        h.id, s.id, s.workflow, s.version, s.queue, s.input, s.attempt,
        coalesce(cp.checkpoints, '{}'::jsonb), coalesce(cp.names, '{}'::text[]),
        h.lease_expires_at, h.deadline
    FROM held AS h
    INNER JOIN started AS s ON s.id = h.run_id
    LEFT JOIN LATERAL (
        SELECT
            jsonb_object_agg(st.name, st.result) AS checkpoints,
            array_agg(st.name ORDER BY st.seq) AS names
        FROM ratchet.steps AS st
        WHERE st.run_id = s.id
    ) AS cp ON true
    ORDER BY s.priority, s.id;
END;
$$;
