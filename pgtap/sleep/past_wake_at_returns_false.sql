-- sleep with a wake_at in the past returns false; the run carries on.
BEGIN;
SELECT plan(4);

SET LOCAL "ratchet.fake_now" = '2030-01-01 00:00:00+00';
SELECT ratchet.create_queue('q');
SELECT ratchet.register_workflow('wf', '{"queue": "q"}');
CREATE TEMP TABLE w AS SELECT ratchet.register_worker('w1', ARRAY['q']) AS id;
CREATE TEMP TABLE r AS SELECT ratchet.start('wf') AS id;
CREATE TEMP TABLE c AS SELECT * FROM ratchet.claim((SELECT w.id FROM w));

SELECT is(
    ratchet.sleep((SELECT c.task FROM c), 'nap', '2029-12-31 23:59:59+00'), FALSE,
    'returns false'
);
SELECT is(runs.status, 'running', 'the run is still running')
FROM ratchet.runs INNER JOIN r ON runs.id = r.id;
SELECT is(
    (ratchet.checkpoint((SELECT c.task FROM c), 'nap', 'null') ->> 'wake_at')::timestamptz,
    '2029-12-31 23:59:59+00'::timestamptz,
    'the step is recorded with its wake_at'
);
SELECT lives_ok(
    $$SELECT ratchet.complete((SELECT c.task FROM c))$$, 'the task is still held'
);

SELECT * FROM finish();
ROLLBACK;
