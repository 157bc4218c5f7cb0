-- No index of ratchet.runs or of its partitions names a column that a
-- transition rewrites, as a key, in an expression or in a predicate: so a
-- run's updates (claim, end, retry) can all be HOT. And a run's end is.
BEGIN;
SELECT plan(3);

CREATE TEMP TABLE ix AS
SELECT
    i.indexrelid::regclass AS index,
    i.indrelid,
    i.indkey::int2[] AS keys,
    coalesce(pg_get_expr(i.indexprs, i.indrelid), '')
    || ' ' || coalesce(pg_get_expr(i.indpred, i.indrelid), '') AS exprs
FROM pg_index AS i
WHERE
    i.indrelid = 'ratchet.runs'::regclass
    OR i.indrelid IN (
        SELECT h.inhrelid FROM pg_inherits AS h WHERE h.inhparent = 'ratchet.runs'::regclass
    );

SELECT cmp_ok(
    (SELECT count(DISTINCT x.indrelid) FROM ix AS x), '>=', 2::bigint,
    'the parent and at least one partition have indexes to check'
);
SELECT is_empty(
    $$
    SELECT x.index, c.col
    FROM ix AS x
    CROSS JOIN unnest(ARRAY[
        'status', 'attempt', 'started_at', 'finished_at', 'output', 'error', 'failures', 'deadline'
    ]) AS c (col)
    WHERE
        EXISTS (
            SELECT 1 FROM pg_attribute AS a
            WHERE a.attrelid = x.indrelid AND a.attname = c.col AND a.attnum = ANY(x.keys)
        )
        OR x.exprs ~ ('\m' || c.col || '\M')
    $$,
    'no index of runs names a column that a transition rewrites'
);

SET LOCAL "ratchet.fake_now" = '2030-01-01 00:00:00+00';
SELECT ratchet.create_queue('q');
SELECT ratchet.register_workflow('wf', '{"queue": "q"}');
CREATE TEMP TABLE w AS SELECT ratchet.register_worker('w1', ARRAY['q']) AS id;
CREATE TEMP TABLE r AS SELECT ratchet.start('wf', '{}', '{"timeout": 60}') AS id;
CREATE TEMP TABLE c AS SELECT * FROM ratchet.claim((SELECT w.id FROM w));
-- The run's partition, and its update counts in this transaction so far.
CREATE TEMP TABLE p AS
SELECT
    x.tableoid AS part,
    pg_stat_get_xact_tuples_updated(x.tableoid) AS upd,
    pg_stat_get_xact_tuples_hot_updated(x.tableoid) AS hot
FROM ratchet.runs AS x WHERE x.id = (SELECT r.id FROM r);
SELECT ratchet.complete((SELECT c.task FROM c), '{"done": true}');
SELECT is(
    (
        SELECT
            ARRAY[
                pg_stat_get_xact_tuples_updated(p.part) - p.upd,
                pg_stat_get_xact_tuples_hot_updated(p.part) - p.hot
            ]
        FROM p
    ),
    ARRAY[1, 1]::bigint[],
    'complete updates the run once, and HOT'
);

SELECT * FROM finish();
ROLLBACK;
