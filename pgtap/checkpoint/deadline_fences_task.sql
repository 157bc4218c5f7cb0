-- A task stops being held the moment its run's deadline passes, tick or not.
BEGIN;
SELECT plan(2);

SET LOCAL "ratchet.fake_now" = '2030-01-01 00:00:00+00';
SELECT ratchet.create_queue('q', '{"lease": "1 hour"}');
SELECT ratchet.register_workflow('wf', '{"queue": "q"}');
CREATE TEMP TABLE w AS SELECT ratchet.register_worker('w1', ARRAY['q']) AS id;
SELECT ratchet.start('wf', '{}', '{"timeout": 60}');
CREATE TEMP TABLE c AS SELECT * FROM ratchet.claim((SELECT w.id FROM w));

SET LOCAL "ratchet.fake_now" = '2030-01-01 00:00:59+00';
SELECT lives_ok(
    $$SELECT ratchet.checkpoint((SELECT c.task FROM c), 'a', '1')$$,
    'held just before the deadline'
);
SET LOCAL "ratchet.fake_now" = '2030-01-01 00:01:01+00';
SELECT throws_ok(
    $$SELECT ratchet.checkpoint((SELECT c.task FROM c), 'b', '2')$$,
    'RT001', NULL, 'not held once the deadline passed'
);

SELECT * FROM finish();
ROLLBACK;
