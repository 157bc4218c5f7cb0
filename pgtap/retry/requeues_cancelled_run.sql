-- retry re-queues a cancelled run.
BEGIN;
SELECT plan(3);

SELECT ratchet.create_queue('q');
SELECT ratchet.register_workflow('wf', '{"queue": "q"}');
CREATE TEMP TABLE w AS SELECT ratchet.register_worker('w1', ARRAY['q']) AS id;
CREATE TEMP TABLE r AS SELECT ratchet.start('wf') AS id;
SELECT ratchet.cancel((SELECT r.id FROM r));
SELECT ratchet.retry((SELECT r.id FROM r));

SELECT is(runs.status, 'queued', 'queued again')
FROM ratchet.runs INNER JOIN r ON runs.id = r.id;
SELECT ok(runs.finished_at IS NULL, 'finished_at cleared')
FROM ratchet.runs INNER JOIN r ON runs.id = r.id;
SELECT is(
    (SELECT c.run FROM ratchet.claim((SELECT w.id FROM w)) AS c),
    (SELECT r.id FROM r),
    'claimable'
);

SELECT * FROM finish();
ROLLBACK;
