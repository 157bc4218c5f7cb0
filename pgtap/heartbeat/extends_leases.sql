-- heartbeat sets each held task's lease to now + the queue's lease.
BEGIN;
SELECT plan(3);

SET LOCAL "ratchet.fake_now" = '2030-01-01 00:00:00+00';
SELECT ratchet.create_queue('q', '{"lease": "10 seconds"}');
SELECT ratchet.register_workflow('wf', '{"queue": "q"}');
CREATE TEMP TABLE w AS SELECT ratchet.register_worker('w1', ARRAY['q']) AS id;
SELECT ratchet.start('wf');
CREATE TEMP TABLE c AS SELECT * FROM ratchet.claim((SELECT w.id FROM w));

SET LOCAL "ratchet.fake_now" = '2030-01-01 00:00:08+00';
SELECT is(
    ratchet.heartbeat((SELECT w.id FROM w)),
    '2030-01-01 00:00:18+00'::timestamptz,
    'the new expiry is now + 10 s'
);

SET LOCAL "ratchet.fake_now" = '2030-01-01 00:00:15+00';
SELECT lives_ok(
    $$SELECT ratchet.checkpoint((SELECT c.task FROM c), 's1', '1')$$,
    'the task is still held after its first lease would have ended'
);

SET LOCAL "ratchet.fake_now" = '2030-01-01 00:00:18.5+00';
SELECT throws_ok(
    $$SELECT ratchet.checkpoint((SELECT c.task FROM c), 's2', '2')$$,
    'RT001', NULL, 'but not after the extended lease'
);

SELECT * FROM finish();
ROLLBACK;
