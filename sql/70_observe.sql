-- Read-only views of the engine for people and dashboards.

CREATE OR REPLACE FUNCTION ratchet.run_history(run bigint)
RETURNS TABLE (seq integer, at timestamptz, kind text, step text, detail jsonb)
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    v_queue text;
BEGIN
    SELECT r.queue INTO v_queue FROM ratchet.runs AS r WHERE r.id = run_history.run;
    IF NOT FOUND THEN
        PERFORM ratchet._raise('RT006', format('unknown run %s', run_history.run));
    END IF;
    PERFORM ratchet._authorize(v_queue, 'read');
    RETURN QUERY
    SELECT
        (row_number() OVER (ORDER BY h.id))::integer,
        h.at,
        h.kind,
        h.step,
        h.detail
    FROM ratchet.history AS h
    WHERE h.run_id = run_history.run
    ORDER BY h.id;
END;
$$;

-- Counts by status scan ratchet.runs (status is deliberately not indexed:
-- every transition rewrites it). Fine for an operator's view.
CREATE OR REPLACE VIEW ratchet.queue_stats AS
WITH counts AS (
    SELECT
        r.queue,
        count(*) FILTER (WHERE r.status = 'queued') AS queued,
        count(*) FILTER (WHERE r.status = 'running') AS running,
        count(*) FILTER (WHERE r.status = 'sleeping') AS sleeping,
        count(*) FILTER (WHERE r.status = 'waiting') AS waiting,
        count(*) FILTER (WHERE r.status = 'completed') AS completed,
        count(*) FILTER (WHERE r.status = 'failed') AS failed,
        count(*) FILTER (WHERE r.status = 'cancelled') AS cancelled
    FROM ratchet.runs AS r
    GROUP BY r.queue
),

oldest AS (
    SELECT
        p.queue,
        min(p.due_at) AS due_at
    FROM ratchet.pending AS p
    INNER JOIN ratchet.runs AS r ON p.run_id = r.id
    WHERE r.status = 'queued'
    GROUP BY p.queue
)

SELECT
    q.name AS queue,
    q.paused,
    q.concurrency,
    coalesce(c.queued, 0) AS queued,
    coalesce(c.running, 0) AS running,
    coalesce(c.sleeping, 0) AS sleeping,
    coalesce(c.waiting, 0) AS waiting,
    coalesce(c.completed, 0) AS completed,
    coalesce(c.failed, 0) AS failed,
    coalesce(c.cancelled, 0) AS cancelled,
    CASE
        WHEN o.due_at IS NOT NULL THEN greatest(ratchet.now() - o.due_at, interval '0')
    END AS oldest_queued_age
FROM ratchet.queues AS q
LEFT JOIN counts AS c ON q.name = c.queue
LEFT JOIN oldest AS o ON q.name = o.queue
WHERE q.name IN (SELECT unnest(ratchet._readable_queues()));

COMMENT ON VIEW ratchet.queue_stats IS
'Per queue the caller may read: runs by status, the age of the oldest queued run, the limit.';
