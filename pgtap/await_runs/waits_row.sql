-- A run waiting for runs sits only in ratchet.waits, with the awaited ids in
-- the order given and one run_waits row per distinct awaited run. The last
-- one to finish moves it back to pending alone and removes its run_waits rows.
BEGIN;
SELECT plan(6);

SET LOCAL "ratchet.fake_now" = '2030-01-01 00:00:00+00';
SELECT ratchet.create_queue('q');
SELECT ratchet.register_workflow('wf', '{"queue": "q"}');
SELECT ratchet.register_workflow('kid', '{"queue": "q"}');
CREATE TEMP TABLE w AS SELECT ratchet.register_worker('w1', ARRAY['q']) AS id;
CREATE TEMP TABLE r AS SELECT ratchet.start('wf') AS id;
CREATE TEMP TABLE c AS SELECT * FROM ratchet.claim((SELECT w.id FROM w));
CREATE TEMP TABLE k AS
SELECT
    ratchet.start_child((SELECT c.task FROM c), 'a', 'kid', '{}') AS a,
    ratchet.start_child((SELECT c.task FROM c), 'b', 'kid', '{}') AS b;
CREATE TEMP TABLE kc AS SELECT * FROM ratchet.claim((SELECT w.id FROM w), 2);
SELECT ratchet.complete((SELECT kc.task FROM kc WHERE kc.run = (SELECT k.a FROM k)));

-- Rows of the waiter in pending, tasks and waits.
CREATE FUNCTION pg_temp.places() RETURNS bigint[]
LANGUAGE sql AS $$
    SELECT ARRAY[
        (SELECT count(*) FROM ratchet.pending AS p WHERE p.run_id = r.id),
        (SELECT count(*) FROM ratchet.tasks AS t WHERE t.run_id = r.id),
        (SELECT count(*) FROM ratchet.waits AS x WHERE x.run_id = r.id)
    ]
    FROM r;
$$;

SELECT is(
    ratchet.await_runs((SELECT c.task FROM c), 'join', (SELECT ARRAY[k.b, k.a, k.b] FROM k)),
    NULL::jsonb,
    'the parent waits for b'
);
SELECT is(pg_temp.places(), '{0,0,1}', 'a waiting run is in waits only');
SELECT is(
    (SELECT x.runs FROM ratchet.waits AS x WHERE x.run_id = (SELECT r.id FROM r)),
    (SELECT ARRAY[k.b, k.a, k.b] FROM k),
    'its waits row keeps the awaited runs as given'
);
SELECT set_eq(
    $$SELECT x.awaited FROM ratchet.run_waits AS x WHERE x.waiter = (SELECT r.id FROM r)$$,
    $$SELECT k.a FROM k UNION ALL SELECT k.b FROM k$$,
    'one run_waits row per distinct awaited run, finished or not'
);

SELECT ratchet.complete((SELECT kc.task FROM kc WHERE kc.run = (SELECT k.b FROM k)));
SELECT is(pg_temp.places(), '{1,0,0}', 'woken by the last run: in pending only');
SELECT is(
    (SELECT count(*) FROM ratchet.run_waits AS x WHERE x.waiter = (SELECT r.id FROM r)),
    0::bigint,
    'and its run_waits rows are gone'
);

SELECT * FROM finish();
ROLLBACK;
