-- claim returns the task with its run, input, attempt, lease and checkpoints.
BEGIN;
SELECT plan(14);

SET LOCAL "ratchet.fake_now" = '2030-01-01 00:00:00+00';
SELECT ratchet.create_queue('q', '{"lease": "45 seconds"}');
SELECT ratchet.register_workflow('wf', '{"queue": "q", "version": "3"}');
CREATE TEMP TABLE r AS
SELECT ratchet.start('wf', '{"topic": "x"}', '{"timeout": "1 day"}') AS id;
CREATE TEMP TABLE w AS SELECT ratchet.register_worker('w1', ARRAY['q']) AS id;
SET LOCAL "ratchet.fake_now" = '2030-01-01 00:00:05+00';
CREATE TEMP TABLE c AS SELECT * FROM ratchet.claim((SELECT w.id FROM w));

SELECT is((SELECT count(*) FROM c), 1::bigint, 'one row');
SELECT ok((SELECT c.task IS NOT NULL FROM c), 'a task id');
SELECT is((SELECT c.run FROM c), (SELECT r.id FROM r), 'the run');
SELECT is((SELECT c.workflow FROM c), 'wf', 'the workflow');
SELECT is((SELECT c.version FROM c), '3', 'the version');
SELECT is((SELECT c.queue FROM c), 'q', 'the queue');
SELECT is((SELECT c.input FROM c), '{"topic": "x"}'::jsonb, 'the input');
SELECT is((SELECT c.attempt FROM c), 1, 'attempt 1');
SELECT is((SELECT c.checkpoints FROM c), '{}'::jsonb, 'no checkpoints yet');
SELECT is((SELECT c.steps FROM c), '{}'::text[], 'no steps yet');
SELECT is(
    (SELECT c.lease_expires_at FROM c),
    '2030-01-01 00:00:50+00'::timestamptz,
    'lease from the claim time'
);
SELECT is(
    (SELECT c.deadline FROM c), '2030-01-02 00:00:00+00'::timestamptz,
    'the deadline'
);
SELECT is(runs.status, 'running', 'the run is running')
FROM ratchet.runs INNER JOIN r ON runs.id = r.id;
SELECT
    is(
        runs.started_at, '2030-01-01 00:00:05+00'::timestamptz,
        'started_at is the claim time'
    )
FROM ratchet.runs INNER JOIN r ON runs.id = r.id;

SELECT * FROM finish();
ROLLBACK;
