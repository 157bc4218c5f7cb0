-- An event sent before the run waits for it is returned at once.
BEGIN;
SELECT plan(3);

SELECT ratchet.create_queue('q');
SELECT ratchet.register_workflow('wf', '{"queue": "q"}');
CREATE TEMP TABLE w AS SELECT ratchet.register_worker('w1', ARRAY['q']) AS id;
CREATE TEMP TABLE r AS SELECT ratchet.start('wf') AS id;
SELECT ratchet.signal((SELECT r.id FROM r), 'approved', '{"by": "ann"}');
CREATE TEMP TABLE c AS SELECT * FROM ratchet.claim((SELECT w.id FROM w));

SELECT is(
    ratchet.await_event((SELECT c.task FROM c), 'approval', 'approved'),
    '{"payload": {"by": "ann"}}'::jsonb,
    'the buffered payload'
);
SELECT is(runs.status, 'running', 'the run keeps running')
FROM ratchet.runs INNER JOIN r ON runs.id = r.id;
SELECT lives_ok(
    $$SELECT ratchet.complete((SELECT c.task FROM c))$$, 'the task is still held'
);

SELECT * FROM finish();
ROLLBACK;
