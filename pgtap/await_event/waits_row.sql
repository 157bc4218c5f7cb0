-- A run waiting for an event sits only in ratchet.waits: one row with the
-- step, the event, when it times out and since when it waits; no pending row,
-- no task. A signal or a time-out moves it back to pending alone.
BEGIN;
SELECT plan(9);

SET LOCAL "ratchet.fake_now" = '2030-01-01 00:00:00+00';
SELECT ratchet.create_queue('q');
SELECT ratchet.register_workflow('wf', '{"queue": "q"}');
CREATE TEMP TABLE w AS SELECT ratchet.register_worker('w1', ARRAY['q']) AS id;
SELECT ratchet.start('wf', jsonb_build_object('n', g)) FROM generate_series(1, 3) AS g;
CREATE TEMP TABLE c AS
SELECT
    x.*,
    (x.input ->> 'n')::int AS n
FROM ratchet.claim((SELECT w.id FROM w), 3) AS x;

-- Rows of the run in pending, tasks and waits.
CREATE FUNCTION pg_temp.places(n int) RETURNS bigint[]
LANGUAGE sql AS $$
    SELECT ARRAY[
        (SELECT count(*) FROM ratchet.pending AS p WHERE p.run_id = c.run),
        (SELECT count(*) FROM ratchet.tasks AS t WHERE t.run_id = c.run),
        (SELECT count(*) FROM ratchet.waits AS x WHERE x.run_id = c.run)
    ]
    FROM c WHERE c.n = places.n;
$$;

SELECT ratchet.await_event((SELECT c.task FROM c WHERE c.n = 1), 'ask', 'answer', '10 seconds');
SELECT ratchet.await_event((SELECT c.task FROM c WHERE c.n = 2), 'ask', 'answer');
SELECT ratchet.await_event((SELECT c.task FROM c WHERE c.n = 3), 'ask', 'answer', '10 seconds');

SELECT is(pg_temp.places(1), '{0,0,1}', 'a waiting run is in waits only');
SELECT results_eq(
    $$SELECT x.step, x.event, x.timeout_at, x.runs, x.since
    FROM ratchet.waits AS x INNER JOIN c ON c.run = x.run_id
    ORDER BY c.n$$,
    $$VALUES
    ('ask', 'answer', '2030-01-01 00:00:10+00'::timestamptz, null::bigint[],
        '2030-01-01 00:00:00+00'::timestamptz),
    ('ask', 'answer', null, null, '2030-01-01 00:00:00+00'),
    ('ask', 'answer', '2030-01-01 00:00:10+00', null, '2030-01-01 00:00:00+00')$$,
    'each waits row says what the run waits for, until when, and since when'
);

SET LOCAL "ratchet.fake_now" = '2030-01-01 00:00:05+00';
SELECT ratchet.signal((SELECT c.run FROM c WHERE c.n = 1), 'answer', '{"yes": true}');
SELECT is(pg_temp.places(1), '{1,0,0}', 'a signalled run is in pending only');
SELECT is(
    (
        SELECT p.due_at FROM ratchet.pending AS p
        WHERE p.run_id = (SELECT c.run FROM c WHERE c.n = 1)
    ),
    '2030-01-01 00:00:05+00'::timestamptz,
    'and claimable now'
);
SELECT is(
    (SELECT r.status FROM ratchet.runs AS r WHERE r.id = (SELECT c.run FROM c WHERE c.n = 1)),
    'queued',
    'and queued'
);

SET LOCAL "ratchet.fake_now" = '2030-01-01 00:00:11+00';
SELECT is((ratchet.tick() ->> 'timed_out')::int, 1, 'the third run times out');
SELECT is(pg_temp.places(3), '{1,0,0}', 'a timed-out run is in pending only');
SELECT is(pg_temp.places(2), '{0,0,1}', 'a wait without a time-out stays');
SELECT is_empty('SELECT * FROM ratchet.check_invariants()', 'the state is consistent');

SELECT * FROM finish();
ROLLBACK;
