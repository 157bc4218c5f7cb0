-- retryable => false fails the run at once, attempts left or not.
BEGIN;
SELECT plan(3);

SELECT ratchet.create_queue('q', '{"max_attempts": 5}');
SELECT ratchet.register_workflow('wf', '{"queue": "q"}');
CREATE TEMP TABLE w AS SELECT ratchet.register_worker('w1', ARRAY['q']) AS id;
CREATE TEMP TABLE r AS SELECT ratchet.start('wf') AS id;
CREATE TEMP TABLE c AS SELECT * FROM ratchet.claim((SELECT w.id FROM w));

SELECT is(
    ratchet.fail((SELECT c.task FROM c), '{"bad": "input"}', NULL, FALSE),
    'failed',
    'not retryable: failed on the first attempt'
);
SELECT is(runs.status, 'failed', 'status failed')
FROM ratchet.runs INNER JOIN r ON runs.id = r.id;
SELECT is(runs.error, '{"bad": "input"}'::jsonb, 'error stored')
FROM ratchet.runs INNER JOIN r ON runs.id = r.id;

SELECT * FROM finish();
ROLLBACK;
