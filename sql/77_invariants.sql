-- The engine's consistency rules, checked against its tables. The status of
-- a run, its task, its claim row and its waits are written by different
-- functions; a bug in one of them (or a crash between statements, were they
-- ever split across transactions) shows up here as a row, long before it
-- shows up as a run that nobody will ever claim. Tests call it after every
-- test; an operator can call it on a live database (it only reads).

CREATE OR REPLACE FUNCTION ratchet.check_invariants()
RETURNS TABLE (invariant text, run bigint, detail text)
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    v_stats text[];
BEGIN
    RETURN QUERY
    -- A run sits in exactly the one of pending (ready: queued or sleeping),
    -- tasks (held: running) and waits (waiting) that its status names, and a
    -- finished run in none of them.
    SELECT
        'one_place', r.id,
        format(
            '%s run is in %s', r.status,
            coalesce(array_to_string(p.places, ', '), 'none of pending, tasks, waits')
        )
    FROM ratchet.runs AS r
    CROSS JOIN LATERAL (
        SELECT array_agg(x.place ORDER BY x.place) AS places
        FROM (
            SELECT 'pending' AS place FROM ratchet.pending AS p WHERE p.run_id = r.id
            UNION ALL
            SELECT 'tasks' FROM ratchet.tasks AS t WHERE t.run_id = r.id
            UNION ALL
            SELECT 'waits' FROM ratchet.waits AS w WHERE w.run_id = r.id
        ) AS x
    ) AS p
    WHERE p.places IS DISTINCT FROM CASE
        WHEN r.status IN ('queued', 'sleeping') THEN ARRAY['pending']
        WHEN r.status = 'running' THEN ARRAY['tasks']
        WHEN r.status = 'waiting' THEN ARRAY['waits']
    END

    UNION ALL
    -- Every task belongs to a running run of the same queue.
    SELECT
        'task_run', t.run_id,
        CASE
            WHEN r.id IS NULL THEN format('task %s names a run that does not exist', t.id)
            WHEN r.status <> 'running' THEN format('task %s held for a %s run', t.id, r.status)
            ELSE format('task %s is in queue %L, its run in %L', t.id, t.queue, r.queue)
        END
    FROM ratchet.tasks AS t
    LEFT JOIN ratchet.runs AS r ON r.id = t.run_id
    WHERE r.id IS NULL OR r.status <> 'running' OR r.queue <> t.queue

    UNION ALL
    -- A claim row belongs to a queued or sleeping run and copies its claim keys.
    SELECT
        'pending_run', p.run_id,
        CASE
            WHEN r.id IS NULL THEN 'pending row names a run that does not exist'
            WHEN r.status NOT IN ('queued', 'sleeping')
                THEN format('pending row for a %s run', r.status)
            ELSE format(
                'pending row has queue %L, workflow %L, priority %s; its run %L, %L, %s',
                p.queue, p.workflow, p.priority, r.queue, r.workflow, r.priority
            )
        END
    FROM ratchet.pending AS p
    LEFT JOIN ratchet.runs AS r ON r.id = p.run_id
    WHERE
        r.id IS NULL
        OR r.status NOT IN ('queued', 'sleeping')
        OR (p.queue, p.workflow, p.priority) IS DISTINCT FROM (r.queue, r.workflow, r.priority)

    UNION ALL
    -- A waits row belongs to a waiting run.
    SELECT
        'waits_run', w.run_id,
        CASE
            WHEN r.id IS NULL THEN 'waits row names a run that does not exist'
            ELSE format('waits row for a %s run', r.status)
        END
    FROM ratchet.waits AS w
    LEFT JOIN ratchet.runs AS r ON r.id = w.run_id
    WHERE r.id IS NULL OR r.status <> 'waiting'

    UNION ALL
    -- A finished run has its end time and awaits no run.
    SELECT 'finished_run', r.id, format('%s run %s', r.status, f.what)
    FROM ratchet.runs AS r
    CROSS JOIN LATERAL (
        SELECT 'is a waiter in run_waits' AS what
        WHERE EXISTS (SELECT 1 FROM ratchet.run_waits AS w WHERE w.waiter = r.id)
        UNION ALL
        SELECT 'has no finished_at'
        WHERE r.finished_at IS NULL
    ) AS f
    WHERE r.status IN ('completed', 'failed', 'cancelled')

    UNION ALL
    -- A live run has not finished.
    SELECT 'live_finished_at', r.id, format('%s run has finished_at %s', r.status, r.finished_at)
    FROM ratchet.runs AS r
    WHERE r.status NOT IN ('completed', 'failed', 'cancelled') AND r.finished_at IS NOT NULL

    UNION ALL
    -- An unfinished run with a deadline has its deadlines row, with that
    -- deadline (tick finds the runs past theirs there), and no other run has one.
    SELECT
        'deadline_row', coalesce(r.id, d.run_id),
        CASE
            WHEN d.run_id IS NULL THEN format('%s run with deadline %s has no deadlines row', r.status, r.deadline)
            WHEN r.id IS NULL THEN format('deadlines row (%s) for a run that is finished, gone or has no deadline', d.deadline)
            ELSE format('deadlines row says %s, the run %s', d.deadline, r.deadline)
        END
    FROM (
        SELECT x.id, x.status, x.deadline FROM ratchet.runs AS x
        WHERE x.finished_at IS NULL AND x.deadline IS NOT NULL
    ) AS r
    FULL JOIN ratchet.deadlines AS d ON d.run_id = r.id
    WHERE r.deadline IS DISTINCT FROM d.deadline

    UNION ALL
    -- A run_waits row's waiter is a waiting run that awaits that run.
    SELECT
        'run_waits_waiter', x.waiter,
        CASE
            WHEN r.id IS NULL THEN format('waits for run %s but does not exist', x.awaited)
            WHEN r.status <> 'waiting'
                THEN format('%s run has a run_waits row for run %s', r.status, x.awaited)
            ELSE format('run_waits row for run %s, which it does not await', x.awaited)
        END
    FROM ratchet.run_waits AS x
    LEFT JOIN ratchet.runs AS r ON r.id = x.waiter
    LEFT JOIN ratchet.waits AS w ON w.run_id = x.waiter
    WHERE
        r.id IS NULL
        OR r.status <> 'waiting'
        OR NOT coalesce(x.awaited = ANY(w.runs), false)

    UNION ALL
    -- A run waiting for runs has a run_waits row, else nothing would ever wake it.
    SELECT 'run_waits_missing', w.run_id, 'waiting for runs with no run_waits row'
    FROM ratchet.waits AS w
    WHERE
        w.runs IS NOT NULL
        AND NOT EXISTS (SELECT 1 FROM ratchet.run_waits AS x WHERE x.waiter = w.run_id)

    UNION ALL
    -- The audit trail of every run starts with its creation.
    SELECT 'history_first', r.id, format('first history entry is %L', h.kind)
    FROM ratchet.runs AS r
    LEFT JOIN LATERAL (
        SELECT x.kind FROM ratchet.history AS x
        WHERE x.run_id = r.id
        ORDER BY x.id
        LIMIT 1
    ) AS h ON true
    WHERE h.kind IS DISTINCT FROM 'created'

    UNION ALL
    -- Steps, events and history are purged with their run, never before.
    SELECT 'orphan_step', s.run_id, format('step %L of a run that does not exist', s.name)
    FROM ratchet.steps AS s
    WHERE NOT EXISTS (SELECT 1 FROM ratchet.runs AS r WHERE r.id = s.run_id)

    UNION ALL
    SELECT 'orphan_event', e.run_id, format('event %s of a run that does not exist', e.id)
    FROM ratchet.events AS e
    WHERE NOT EXISTS (SELECT 1 FROM ratchet.runs AS r WHERE r.id = e.run_id)

    UNION ALL
    SELECT 'orphan_history', h.run_id, format('history entry %s of a run that does not exist', h.id)
    FROM ratchet.history AS h
    WHERE NOT EXISTS (SELECT 1 FROM ratchet.runs AS r WHERE r.id = h.run_id)

    UNION ALL
    -- Every slice has its four partitions with its bounds, and nothing else
    -- is attached: so every run (and its journal) lies in a slice, which
    -- retention drops or compacts as a whole (sql/16_slices.sql).
    SELECT
        'slice_partitions', null::bigint,
        format(
            'partition %s of ratchet.%s: expected %s, found %s',
            coalesce(x.part, a.part), coalesce(x.parent, a.parent),
            coalesce(x.bound, 'none'), coalesce(a.bound, 'none')
        )
    FROM (
        SELECT
            t.parent,
            t.parent || '_s' || s.slice AS part,
            format('FOR VALUES FROM (%L) TO (%L)', s.lo, s.hi) AS bound
        FROM ratchet.slices AS s
        CROSS JOIN unnest(ARRAY['runs', 'history', 'steps', 'events']) AS t (parent)
    ) AS x
    FULL JOIN (
        SELECT
            p.relname::text AS parent,
            c.relname::text AS part,
            pg_get_expr(c.relpartbound, c.oid) AS bound
        FROM pg_inherits AS i
        INNER JOIN pg_class AS c ON c.oid = i.inhrelid
        INNER JOIN pg_class AS p ON p.oid = i.inhparent
        WHERE i.inhparent IN (
            'ratchet.runs'::regclass, 'ratchet.history'::regclass,
            'ratchet.steps'::regclass, 'ratchet.events'::regclass
        )
    ) AS a ON a.parent = x.parent AND a.part = x.part
    WHERE x.bound IS DISTINCT FROM a.bound

    UNION ALL
    -- New runs get ids of the newest (open) slice.
    SELECT
        'open_slice', null::bigint,
        format('the next run id is %s, outside the open slice [%s, %s)', n.id, o.lo, o.hi)
    FROM (
        SELECT CASE WHEN q.is_called THEN q.last_value + 1 ELSE q.last_value END AS id
        FROM ratchet.runs_id_seq AS q
    ) AS n
    LEFT JOIN LATERAL (
        SELECT s.lo, s.hi FROM ratchet.slices AS s ORDER BY s.slice DESC LIMIT 1
    ) AS o ON true
    WHERE NOT coalesce(n.id >= o.lo AND n.id < o.hi, false);

    -- The operator's view agrees with the tables (for the queues the caller
    -- may read, which are the ones queue_stats shows). A view that raises is
    -- reported too, not allowed to hide the other rules' rows.
    BEGIN
        SELECT array_agg(
            format(
                'queue %L: queue_stats says %s, the tables say %s',
                coalesce(s.queue, d.queue), s.counts, d.counts
            )
            ORDER BY coalesce(s.queue, d.queue)
        )
        INTO v_stats
        FROM (
            SELECT
                x.queue,
                jsonb_build_object(
                    'paused', x.paused, 'concurrency', x.concurrency,
                    'queued', x.queued, 'running', x.running, 'sleeping', x.sleeping,
                    'waiting', x.waiting, 'completed', x.completed, 'failed', x.failed,
                    'cancelled', x.cancelled
                ) AS counts
            FROM ratchet.queue_stats AS x
        ) AS s
        FULL JOIN (
            SELECT
                q.name AS queue,
                jsonb_build_object(
                    'paused', q.paused, 'concurrency', q.concurrency,
                    'queued', count(r.id) FILTER (WHERE r.status = 'queued'),
                    'running', count(r.id) FILTER (WHERE r.status = 'running'),
                    'sleeping', count(r.id) FILTER (WHERE r.status = 'sleeping'),
                    'waiting', count(r.id) FILTER (WHERE r.status = 'waiting'),
                    'completed', count(r.id) FILTER (WHERE r.status = 'completed'),
                    'failed', count(r.id) FILTER (WHERE r.status = 'failed'),
                    'cancelled', count(r.id) FILTER (WHERE r.status = 'cancelled')
                ) AS counts
            FROM ratchet.queues AS q
            LEFT JOIN ratchet.runs AS r ON r.queue = q.name
            WHERE q.name = ANY(ratchet._readable_queues())
            GROUP BY q.name
        ) AS d ON s.queue = d.queue
        WHERE s.counts IS DISTINCT FROM d.counts;
    EXCEPTION WHEN OTHERS THEN
        v_stats := ARRAY[format('reading ratchet.queue_stats raised %s: %s', SQLSTATE, SQLERRM)];
    END;
    RETURN QUERY
    SELECT 'queue_stats'::text, null::bigint, u.detail
    FROM unnest(v_stats) AS u (detail);
END;
$$;

COMMENT ON FUNCTION ratchet.check_invariants() IS
'One row per violated consistency rule of the engine''s tables; empty when the state is consistent.';
