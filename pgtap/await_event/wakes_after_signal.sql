-- Waiting suspends the run; the signal records the step and wakes it.
BEGIN;
SELECT plan(9);

SET LOCAL "ratchet.fake_now" = '2030-01-01 00:00:00+00';
SELECT ratchet.create_queue('q');
SELECT ratchet.register_workflow('wf', '{"queue": "q"}');
CREATE TEMP TABLE w AS SELECT ratchet.register_worker('w1', ARRAY['q']) AS id;
CREATE TEMP TABLE r AS SELECT ratchet.start('wf') AS id;
CREATE TEMP TABLE c1 AS SELECT * FROM ratchet.claim((SELECT w.id FROM w));

SELECT ok(
    ratchet.await_event((SELECT c1.task FROM c1), 'approval', 'approved') IS NULL,
    'nothing yet: null'
);
SELECT is(runs.status, 'waiting', 'the run is waiting')
FROM ratchet.runs INNER JOIN r ON runs.id = r.id;
SELECT throws_ok(
    $$SELECT ratchet.complete((SELECT c1.task FROM c1))$$,
    'RT001', NULL, 'the task ended'
);
SET LOCAL "ratchet.fake_now" = '2030-01-02 00:00:00+00';
SELECT is(
    (SELECT count(*) FROM ratchet.claim((SELECT w.id FROM w), 10)), 0::bigint,
    'not claimable while waiting, however long'
);

SELECT ratchet.signal((SELECT r.id FROM r), 'approved', '{"by": "bob"}');
CREATE TEMP TABLE c2 AS SELECT * FROM ratchet.claim((SELECT w.id FROM w));
SELECT is((SELECT c2.run FROM c2), (SELECT r.id FROM r), 'claimable after the signal');
SELECT is((SELECT c2.attempt FROM c2), 1, 'waking is not a new attempt');
SELECT is(
    (SELECT c2.checkpoints FROM c2) -> 'approval',
    '{"payload": {"by": "bob"}}'::jsonb,
    'the step is recorded'
);
SELECT is(
    ratchet.await_event((SELECT c2.task FROM c2), 'approval', 'approved'),
    '{"payload": {"by": "bob"}}'::jsonb,
    'the replay returns it'
);
SELECT is(runs.status, 'running', 'running again')
FROM ratchet.runs INNER JOIN r ON runs.id = r.id;

SELECT * FROM finish();
ROLLBACK;
