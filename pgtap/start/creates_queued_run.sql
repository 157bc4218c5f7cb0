-- start() creates a queued run and returns its id.
BEGIN;
SELECT plan(12);

SET LOCAL "ratchet.fake_now" = '2030-01-01 00:00:00+00';
SELECT ratchet.create_queue('q');
SELECT ratchet.register_workflow('wf', '{"queue": "q", "version": "7"}');
CREATE TEMP TABLE r AS SELECT ratchet.start('wf', '{"topic": "x"}') AS id;

SELECT is(runs.workflow, 'wf', 'workflow')
FROM ratchet.runs INNER JOIN r ON runs.id = r.id;
SELECT is(runs.version, '7', 'version of the registered workflow')
FROM ratchet.runs INNER JOIN r ON runs.id = r.id;
SELECT is(runs.queue, 'q', 'queue of the workflow')
FROM ratchet.runs INNER JOIN r ON runs.id = r.id;
SELECT is(runs.status, 'queued', 'status queued')
FROM ratchet.runs INNER JOIN r ON runs.id = r.id;
SELECT is(runs.input, '{"topic": "x"}'::jsonb, 'input stored')
FROM ratchet.runs INNER JOIN r ON runs.id = r.id;
SELECT is(runs.attempt, 1, 'attempt 1')
FROM ratchet.runs INNER JOIN r ON runs.id = r.id;
SELECT is(runs.priority::int, 0, 'priority 0')
FROM ratchet.runs INNER JOIN r ON runs.id = r.id;
SELECT ok(runs.parent IS NULL, 'no parent')
FROM ratchet.runs INNER JOIN r ON runs.id = r.id;
SELECT
    is(
        runs.created_at, '2030-01-01 00:00:00+00'::timestamptz,
        'created_at is ratchet.now()'
    )
FROM ratchet.runs INNER JOIN r ON runs.id = r.id;
SELECT
    ok(
        runs.started_at IS NULL AND runs.finished_at IS NULL,
        'not started, not finished'
    )
FROM ratchet.runs INNER JOIN r ON runs.id = r.id;
SELECT
    ok(
        runs.output IS NULL AND runs.error IS NULL, 'no output, no error'
    )
FROM ratchet.runs INNER JOIN r ON runs.id = r.id;
SELECT isnt(
    ratchet.start('wf'), (SELECT r.id FROM r), 'a second start is a new run'
);

SELECT * FROM finish();
ROLLBACK;
