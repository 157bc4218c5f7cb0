-- complete finishes the run with its output and ends the task.
BEGIN;
SELECT plan(9);

SET LOCAL "ratchet.fake_now" = '2030-01-01 00:00:00+00';
SELECT ratchet.create_queue('q');
SELECT ratchet.register_workflow('wf', '{"queue": "q"}');
CREATE TEMP TABLE w AS SELECT ratchet.register_worker('w1', ARRAY['q']) AS id;
CREATE TEMP TABLE r AS
SELECT
    ratchet.start('wf') AS with_output,
    ratchet.start('wf') AS without_output;
CREATE TEMP TABLE c AS SELECT * FROM ratchet.claim((SELECT w.id FROM w), 10);
SET LOCAL "ratchet.fake_now" = '2030-01-01 00:00:07+00';

SELECT lives_ok(
    $$SELECT ratchet.complete(
        (SELECT c.task FROM c INNER JOIN r ON c.run = r.with_output),
        '{"answer": 42}'
    )$$,
    'complete lives'
);
SELECT is(runs.status, 'completed', 'status completed')
FROM ratchet.runs INNER JOIN r ON runs.id = r.with_output;
SELECT is(runs.output, '{"answer": 42}'::jsonb, 'output stored')
FROM ratchet.runs INNER JOIN r ON runs.id = r.with_output;
SELECT
    is(
        runs.finished_at, '2030-01-01 00:00:07+00'::timestamptz,
        'finished_at is now()'
    )
FROM ratchet.runs INNER JOIN r ON runs.id = r.with_output;
SELECT ok(runs.error IS NULL, 'no error')
FROM ratchet.runs INNER JOIN r ON runs.id = r.with_output;
SELECT is(
    (
        SELECT h.kind FROM ratchet.run_history((SELECT r.with_output FROM r)) AS h
        ORDER BY h.seq DESC LIMIT 1
    ),
    'completed',
    'the last history entry is completed'
);
SELECT throws_ok(
    $$SELECT ratchet.complete(
        (SELECT c.task FROM c INNER JOIN r ON c.run = r.with_output)
    )$$,
    'RT001', NULL, 'the task is no longer held'
);

SELECT ratchet.complete(
    (SELECT c.task FROM c INNER JOIN r ON c.run = r.without_output)
);
SELECT
    ok(
        runs.status = 'completed' AND runs.output IS NULL,
        'without an output: completed, output null'
    )
FROM ratchet.runs INNER JOIN r ON runs.id = r.without_output;
SELECT ok(
    ratchet.heartbeat((SELECT w.id FROM w)) IS NULL,
    'the worker holds nothing'
);

SELECT * FROM finish();
ROLLBACK;
