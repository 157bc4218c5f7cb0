-- Deadlines also end sleeping and waiting runs.
BEGIN;
SELECT plan(3);

SET LOCAL "ratchet.fake_now" = '2030-01-01 00:00:00+00';
SELECT ratchet.create_queue('q');
SELECT ratchet.register_workflow('wf', '{"queue": "q"}');
CREATE TEMP TABLE w AS SELECT ratchet.register_worker('w1', ARRAY['q']) AS id;
CREATE TEMP TABLE r AS
SELECT
    ratchet.start('wf', '{}', '{"timeout": 60}') AS sleeper,
    ratchet.start('wf', '{}', '{"timeout": 60}') AS waiter;
CREATE TEMP TABLE c AS SELECT * FROM ratchet.claim((SELECT w.id FROM w), 10);
SELECT ratchet.sleep(
    (SELECT c.task FROM c INNER JOIN r ON c.run = r.sleeper),
    'nap', '2030-01-02 00:00:00+00'
);
SELECT ratchet.await_event(
    (SELECT c.task FROM c INNER JOIN r ON c.run = r.waiter), 'approval', 'go'
);

SET LOCAL "ratchet.fake_now" = '2030-01-01 00:01:01+00';
SELECT is((ratchet.tick() ->> 'deadlines')::int, 2, 'both past the deadline');
SELECT
    ok(
        runs.status = 'failed' AND runs.error @> '{"deadline_exceeded": true}',
        'the sleeping run failed with deadline_exceeded'
    )
FROM ratchet.runs INNER JOIN r ON runs.id = r.sleeper;
SELECT
    ok(
        runs.status = 'failed' AND runs.error @> '{"deadline_exceeded": true}',
        'the waiting run failed with deadline_exceeded'
    )
FROM ratchet.runs INNER JOIN r ON runs.id = r.waiter;

SELECT * FROM finish();
ROLLBACK;
