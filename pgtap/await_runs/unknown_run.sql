-- await_runs naming a run that does not exist raises RT006; task not held RT001.
BEGIN;
SELECT plan(3);

SELECT ratchet.create_queue('q');
SELECT ratchet.register_workflow('wf', '{"queue": "q"}');
CREATE TEMP TABLE w AS SELECT ratchet.register_worker('w1', ARRAY['q']) AS id;
CREATE TEMP TABLE r AS SELECT ratchet.start('wf') AS id;
CREATE TEMP TABLE c AS SELECT * FROM ratchet.claim((SELECT w.id FROM w));

SELECT throws_ok(
    $$SELECT ratchet.await_runs((SELECT c.task FROM c), 'join', ARRAY[-1]::bigint[])$$,
    'RT006', NULL, 'an unknown run'
);
SELECT is(runs.status, 'running', 'the run keeps running')
FROM ratchet.runs INNER JOIN r ON runs.id = r.id;
SELECT throws_ok(
    $$SELECT ratchet.await_runs(-1, 'join', ARRAY[]::bigint[])$$,
    'RT001', NULL, 'a task not held'
);

SELECT * FROM finish();
ROLLBACK;
