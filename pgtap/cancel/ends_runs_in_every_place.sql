-- Cancel ends a run wherever it sits (pending, tasks, waits): afterwards it
-- is in none of them, and a waiter's run_waits rows are gone too.
BEGIN;
SELECT plan(7);

SET LOCAL "ratchet.fake_now" = '2030-01-01 00:00:00+00';
SELECT ratchet.create_queue('q');
SELECT ratchet.register_workflow('wf', '{"queue": "q"}');
CREATE TEMP TABLE w AS SELECT ratchet.register_worker('w1', ARRAY['q']) AS id;
SELECT ratchet.start('wf', jsonb_build_object('n', g)) FROM generate_series(1, 4) AS g;
CREATE TEMP TABLE c AS
SELECT
    x.*,
    (x.input ->> 'n')::int AS n
FROM ratchet.claim((SELECT w.id FROM w), 4) AS x;
-- 1 running, 2 sleeping, 3 waiting for an event, 4 waiting for run 5.
SELECT ratchet.sleep((SELECT c.task FROM c WHERE c.n = 2), 'nap', '2030-01-02 00:00:00+00');
SELECT ratchet.await_event((SELECT c.task FROM c WHERE c.n = 3), 'ask', 'answer', '1 hour');
INSERT INTO c (run, n) VALUES (ratchet.start('wf', '{"n": 5}'), 5);
SELECT ratchet.await_runs(
    (SELECT c.task FROM c WHERE c.n = 4), 'join', ARRAY[(SELECT c.run FROM c WHERE c.n = 5)]
);
INSERT INTO c (run, n) VALUES (ratchet.start('wf', '{"n": 6}'), 6);

-- Rows of run n in pending, tasks and waits.
CREATE FUNCTION pg_temp.places(n int) RETURNS bigint[]
LANGUAGE sql AS $$
    SELECT ARRAY[
        (SELECT count(*) FROM ratchet.pending AS p WHERE p.run_id = c.run),
        (SELECT count(*) FROM ratchet.tasks AS t WHERE t.run_id = c.run),
        (SELECT count(*) FROM ratchet.waits AS x WHERE x.run_id = c.run)
    ]
    FROM c WHERE c.n = places.n;
$$;

SELECT is(
    ARRAY[
        pg_temp.places(1), pg_temp.places(2), pg_temp.places(3), pg_temp.places(4),
        pg_temp.places(6)
    ],
    '{{0,1,0},{1,0,0},{0,0,1},{0,0,1},{1,0,0}}',
    'before: running in tasks, sleeping and queued in pending, waiting in waits'
);

SELECT ratchet.cancel(c.run) FROM c WHERE c.n IN (1, 2, 3, 4, 6) ORDER BY c.n;

SELECT is(pg_temp.places(1), '{0,0,0}', 'a cancelled running run is in none');
SELECT is(pg_temp.places(2), '{0,0,0}', 'a cancelled sleeping run is in none');
SELECT is(pg_temp.places(3), '{0,0,0}', 'a cancelled run that waited for an event is in none');
SELECT is(pg_temp.places(4), '{0,0,0}', 'a cancelled run that waited for runs is in none');
SELECT is(
    (
        SELECT count(*) FROM ratchet.run_waits AS x
        WHERE x.waiter = (SELECT c.run FROM c WHERE c.n = 4)
    ),
    0::bigint,
    'and it awaits nothing'
);
SELECT is_empty('SELECT * FROM ratchet.check_invariants()', 'the state is consistent');

SELECT * FROM finish();
ROLLBACK;
