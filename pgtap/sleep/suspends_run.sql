-- sleep with a future wake_at suspends the run and ends the task.
BEGIN;
SELECT plan(6);

SET LOCAL "ratchet.fake_now" = '2030-01-01 00:00:00+00';
SELECT ratchet.create_queue('q');
SELECT ratchet.register_workflow('wf', '{"queue": "q"}');
CREATE TEMP TABLE w AS SELECT ratchet.register_worker('w1', ARRAY['q']) AS id;
CREATE TEMP TABLE r AS SELECT ratchet.start('wf') AS id;
CREATE TEMP TABLE c AS SELECT * FROM ratchet.claim((SELECT w.id FROM w));

SELECT is(
    ratchet.sleep((SELECT c.task FROM c), 'nap', '2030-01-01 00:05:00+00'), TRUE,
    'returns true'
);
SELECT is(runs.status, 'sleeping', 'the run is sleeping')
FROM ratchet.runs INNER JOIN r ON runs.id = r.id;
SELECT throws_ok(
    $$SELECT ratchet.complete((SELECT c.task FROM c))$$,
    'RT001', NULL, 'the task is no longer held'
);
SELECT ok(
    ratchet.heartbeat((SELECT w.id FROM w)) IS NULL, 'the worker holds nothing'
);
SELECT ok(
    EXISTS (
        SELECT 1 FROM ratchet.run_history((SELECT r.id FROM r)) AS h
        WHERE h.kind = 'sleeping'
    ),
    'history records sleeping'
);
SELECT is(
    (SELECT count(*) FROM ratchet.claim((SELECT w.id FROM w), 10)), 0::bigint,
    'not claimable while asleep'
);

SELECT * FROM finish();
ROLLBACK;
