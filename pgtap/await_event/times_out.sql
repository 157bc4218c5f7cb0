-- When the timeout passes, tick records {"timed_out": true} and wakes the run.
BEGIN;
SELECT plan(7);

SET LOCAL "ratchet.fake_now" = '2030-01-01 00:00:00+00';
SELECT ratchet.create_queue('q');
SELECT ratchet.register_workflow('wf', '{"queue": "q"}');
CREATE TEMP TABLE w AS SELECT ratchet.register_worker('w1', ARRAY['q']) AS id;
CREATE TEMP TABLE r AS SELECT ratchet.start('wf') AS id;
CREATE TEMP TABLE c1 AS SELECT * FROM ratchet.claim((SELECT w.id FROM w));
SELECT ratchet.await_event(
    (SELECT c1.task FROM c1), 'approval', 'approved', interval '10 seconds'
);

SET LOCAL "ratchet.fake_now" = '2030-01-01 00:00:09+00';
SELECT is((ratchet.tick() ->> 'timed_out')::int, 0, 'not before the timeout');
SET LOCAL "ratchet.fake_now" = '2030-01-01 00:00:11+00';
SELECT is((ratchet.tick() ->> 'timed_out')::int, 1, 'timed out at 10 s');
SELECT ok(
    EXISTS (
        SELECT 1 FROM ratchet.run_history((SELECT r.id FROM r)) AS h
        WHERE h.kind = 'timed_out'
    ),
    'history records timed_out'
);
-- A late event does not change the recorded step.
SELECT ratchet.signal((SELECT r.id FROM r), 'approved', '{"late": true}');
CREATE TEMP TABLE c2 AS SELECT * FROM ratchet.claim((SELECT w.id FROM w));
SELECT is((SELECT c2.run FROM c2), (SELECT r.id FROM r), 'claimable');
SELECT is(
    (SELECT c2.checkpoints FROM c2) -> 'approval', '{"timed_out": true}'::jsonb,
    'the step records the timeout'
);
SELECT is(
    ratchet.await_event(
        (SELECT c2.task FROM c2), 'approval', 'approved', interval '10 seconds'
    ),
    '{"timed_out": true}'::jsonb,
    'the replay returns {"timed_out": true}'
);
SELECT is((SELECT c2.attempt FROM c2), 1, 'a timeout is not a new attempt');

SELECT * FROM finish();
ROLLBACK;
