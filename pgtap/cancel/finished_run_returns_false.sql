-- cancel of a finished run returns false and changes nothing.
BEGIN;
SELECT plan(5);

SELECT ratchet.create_queue('q', '{"max_attempts": 1}');
SELECT ratchet.register_workflow('wf', '{"queue": "q"}');
CREATE TEMP TABLE w AS SELECT ratchet.register_worker('w1', ARRAY['q']) AS id;
CREATE TEMP TABLE r AS
SELECT
    ratchet.start('wf') AS done,
    ratchet.start('wf') AS failed,
    ratchet.start('wf') AS cancelled;
CREATE TEMP TABLE c AS SELECT * FROM ratchet.claim((SELECT w.id FROM w), 10);
SELECT ratchet.complete(
    (SELECT c.task FROM c INNER JOIN r ON c.run = r.done), '{"v": 1}'
);
SELECT ratchet.fail(
    (SELECT c.task FROM c INNER JOIN r ON c.run = r.failed), '{"e": 1}'
);
SELECT ratchet.cancel((SELECT r.cancelled FROM r));

SELECT is(
    ratchet.cancel((SELECT r.done FROM r)), FALSE, 'completed: false'
);
SELECT is(
    ratchet.cancel((SELECT r.failed FROM r)), FALSE, 'failed: false'
);
SELECT is(
    ratchet.cancel((SELECT r.cancelled FROM r)), FALSE,
    'already cancelled: false'
);
SELECT is(runs.status, 'completed', 'the completed run stays completed')
FROM ratchet.runs INNER JOIN r ON runs.id = r.done;
SELECT is(runs.status, 'failed', 'the failed run stays failed')
FROM ratchet.runs INNER JOIN r ON runs.id = r.failed;

SELECT * FROM finish();
ROLLBACK;
