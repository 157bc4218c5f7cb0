-- complete on a task whose run was cancelled raises RT002.
BEGIN;
SELECT plan(2);

SELECT ratchet.create_queue('q');
SELECT ratchet.register_workflow('wf', '{"queue": "q"}');
CREATE TEMP TABLE w AS SELECT ratchet.register_worker('w1', ARRAY['q']) AS id;
CREATE TEMP TABLE r AS SELECT ratchet.start('wf') AS id;
CREATE TEMP TABLE c AS SELECT * FROM ratchet.claim((SELECT w.id FROM w));
SELECT ratchet.cancel((SELECT r.id FROM r));

SELECT throws_ok(
    $$SELECT ratchet.complete((SELECT c.task FROM c), '{"x": 1}')$$,
    'RT002', NULL, 'the run was cancelled'
);
SELECT is(runs.status, 'cancelled', 'the run stays cancelled')
FROM ratchet.runs INNER JOIN r ON runs.id = r.id;

SELECT * FROM finish();
ROLLBACK;
