-- complete on an unknown or expired task raises RT001 and changes nothing.
BEGIN;
SELECT plan(3);

SET LOCAL "ratchet.fake_now" = '2030-01-01 00:00:00+00';
SELECT ratchet.create_queue(
    'q', '{"lease": "10 seconds", "backoff": {"initial": "1 hour", "max": "1 hour"}}'
);
SELECT ratchet.register_workflow('wf', '{"queue": "q"}');
CREATE TEMP TABLE w AS SELECT ratchet.register_worker('w1', ARRAY['q']) AS id;
CREATE TEMP TABLE r AS SELECT ratchet.start('wf') AS id;
CREATE TEMP TABLE c AS SELECT * FROM ratchet.claim((SELECT w.id FROM w));

SELECT throws_ok(
    $$SELECT ratchet.complete((SELECT c.task + 1000 FROM c))$$,
    'RT001', NULL, 'unknown task'
);
SET LOCAL "ratchet.fake_now" = '2030-01-01 00:00:10.001+00';
SELECT throws_ok(
    $$SELECT ratchet.complete((SELECT c.task FROM c), '{"late": true}')$$,
    'RT001', NULL, 'a task whose lease just expired, before any reclaim'
);
SELECT ok(runs.status <> 'completed' AND runs.output IS NULL, 'not completed')
FROM ratchet.runs INNER JOIN r ON runs.id = r.id;

SELECT * FROM finish();
ROLLBACK;
