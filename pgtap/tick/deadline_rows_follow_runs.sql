-- ratchet.deadlines holds one row per unfinished run with a deadline (tick
-- finds the runs past theirs there, not through an index of runs): made
-- with the run by start, start_many and start_child, kept while the run
-- retries, gone at every kind of end, back when retry re-opens the run.
BEGIN;
SELECT plan(14);

SET LOCAL "ratchet.fake_now" = '2030-01-01 00:00:00+00';
SELECT ratchet.create_queue('q', '{"max_attempts": 2}');
SELECT ratchet.register_workflow('wf', '{"queue": "q"}');
CREATE TEMP TABLE w AS SELECT ratchet.register_worker('w1', ARRAY['q']) AS id;

-- The deadlines row of a run, or null.
CREATE FUNCTION pg_temp.dl(run bigint) RETURNS timestamptz
LANGUAGE sql AS $$
    SELECT d.deadline FROM ratchet.deadlines AS d WHERE d.run_id = dl.run;
$$;

CREATE TEMP TABLE r AS
SELECT
    ratchet.start('wf', '{"k": "completed"}', '{"timeout": 3600}') AS completed,
    ratchet.start('wf', '{"k": "failed"}', '{"timeout": 3600, "max_attempts": 1}') AS failed,
    ratchet.start('wf', '{"k": "cancelled"}', '{"deadline": "2030-01-01 02:00:00+00"}')
        AS cancelled,
    ratchet.start('wf', '{"k": "late"}', '{"timeout": 60}') AS late,
    ratchet.start('wf', '{"k": "none"}') AS unbounded;
CREATE TEMP TABLE m AS
SELECT ratchet.start_many('wf', '[{"k": "m1"}, {"k": "m2"}]', '{"timeout": 7200}') AS id;

SELECT is(
    pg_temp.dl((SELECT r.completed FROM r)), '2030-01-01 01:00:00+00'::timestamptz,
    'start with a timeout makes a row with the run''s deadline'
);
SELECT is(
    pg_temp.dl((SELECT r.cancelled FROM r)), '2030-01-01 02:00:00+00'::timestamptz,
    'start with a deadline too'
);
SELECT is(
    (SELECT count(*) FROM ratchet.deadlines AS d WHERE d.run_id IN (SELECT m.id FROM m)), 2::bigint,
    'start_many makes one row per run'
);
SELECT ok(pg_temp.dl((SELECT r.unbounded FROM r)) IS NULL, 'a run without a deadline has none');

CREATE TEMP TABLE c AS
SELECT
    x.*,
    x.input ->> 'k' AS k
FROM ratchet.claim((SELECT w.id FROM w), 10) AS x;
SELECT is(
    pg_temp.dl(
        ratchet.start_child(
            (SELECT c.task FROM c WHERE c.k = 'late'), 'kid', 'wf', '{}', '{"timeout": 30}'
        )
    ),
    '2030-01-01 00:00:30+00'::timestamptz,
    'start_child makes one'
);
SELECT ratchet.complete((SELECT c.task FROM c WHERE c.k = 'completed'));
SELECT ratchet.fail((SELECT c.task FROM c WHERE c.k = 'failed'), '{"e": 1}');
SELECT ratchet.cancel((SELECT r.cancelled FROM r));
SELECT ratchet.complete_many(array(SELECT c.task FROM c WHERE c.k IN ('m1', 'm2')));
SELECT ratchet.fail((SELECT c.task FROM c WHERE c.k = 'none'), '{"e": 1}');
SELECT is(
    (
        SELECT count(*) FROM ratchet.deadlines AS d
        WHERE d.run_id IN (
            SELECT r.completed FROM r
            UNION ALL
            SELECT m.id FROM m
        )
    ),
    0::bigint,
    'complete and complete_many remove the row'
);
SELECT ok(pg_temp.dl((SELECT r.failed FROM r)) IS NULL, 'failing for good removes it');
SELECT ok(pg_temp.dl((SELECT r.cancelled FROM r)) IS NULL, 'cancel removes it');

SET LOCAL "ratchet.fake_now" = '2030-01-01 00:02:00+00';
SELECT is((ratchet.tick() ->> 'deadlines')::int, 2, 'tick fails the runs past their deadline');
SELECT is(
    (SELECT count(*) FROM ratchet.deadlines AS d WHERE d.deadline <= ratchet.now()), 0::bigint,
    'and their rows are gone'
);

SELECT ratchet.retry((SELECT r.late FROM r));
SELECT is(
    pg_temp.dl((SELECT r.late FROM r)), '2030-01-01 00:03:00+00'::timestamptz,
    'retry of a run past its deadline makes a row with its new window'
);
SELECT ratchet.retry((SELECT r.cancelled FROM r));
SELECT is(
    pg_temp.dl((SELECT r.cancelled FROM r)), '2030-01-01 02:00:00+00'::timestamptz,
    'retry of a run within its deadline makes a row with that deadline'
);
SELECT ok(
    pg_temp.dl((SELECT r.unbounded FROM r)) IS NULL
    AND (SELECT x.status FROM ratchet.runs AS x WHERE x.id = (SELECT r.unbounded FROM r))
    = 'queued',
    'a retrying run without a deadline still has none'
);
SELECT is_empty('SELECT * FROM ratchet.check_invariants()', 'the invariants hold');

SELECT * FROM finish();
ROLLBACK;
