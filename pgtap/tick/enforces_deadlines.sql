-- Past its deadline a run fails with deadline_exceeded and its task is fenced.
BEGIN;
SELECT plan(7);

SET LOCAL "ratchet.fake_now" = '2030-01-01 00:00:00+00';
SELECT ratchet.create_queue('q', '{"lease": "1 hour"}');
SELECT ratchet.register_workflow('wf', '{"queue": "q"}');
CREATE TEMP TABLE w AS SELECT ratchet.register_worker('w1', ARRAY['q']) AS id;
CREATE TEMP TABLE r AS
SELECT ratchet.start('wf', '{}', '{"timeout": 60}') AS running;
CREATE TEMP TABLE c AS SELECT * FROM ratchet.claim((SELECT w.id FROM w));
ALTER TABLE r ADD COLUMN queued bigint, ADD COLUMN unbounded bigint;
UPDATE r SET
    queued = ratchet.start('wf', '{}', '{"deadline": "2030-01-01 00:01:00+00"}'),
    unbounded = ratchet.start('wf');

SET LOCAL "ratchet.fake_now" = '2030-01-01 00:00:59+00';
SELECT is(
    (ratchet.tick() ->> 'deadlines')::int, 0, 'nothing before the deadline'
);
SET LOCAL "ratchet.fake_now" = '2030-01-01 00:01:01+00';
SELECT is(
    (ratchet.tick() ->> 'deadlines')::int, 2, 'two runs past their deadline'
);
SELECT
    ok(
        runs.status = 'failed' AND runs.error @> '{"deadline_exceeded": true}',
        'the running run failed with deadline_exceeded'
    )
FROM ratchet.runs INNER JOIN r ON runs.id = r.running;
SELECT
    ok(
        runs.status = 'failed' AND runs.error @> '{"deadline_exceeded": true}',
        'the queued run failed with deadline_exceeded'
    )
FROM ratchet.runs INNER JOIN r ON runs.id = r.queued;
SELECT is(runs.status, 'queued', 'a run without deadline is untouched')
FROM ratchet.runs INNER JOIN r ON runs.id = r.unbounded;
SELECT throws_ok(
    $$SELECT ratchet.complete((SELECT c.task FROM c))$$,
    'RT001', NULL, 'the running task is fenced'
);
SELECT is(
    (SELECT c2.run FROM ratchet.claim((SELECT w.id FROM w), 10) AS c2),
    (SELECT r.unbounded FROM r),
    'only the run without deadline is claimable'
);

SELECT * FROM finish();
ROLLBACK;
