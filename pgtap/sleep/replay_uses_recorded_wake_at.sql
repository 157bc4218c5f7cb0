-- A replayed sleep uses the recorded wake_at: the timer does not restart.
BEGIN;
SELECT plan(5);

SET LOCAL "ratchet.fake_now" = '2030-01-01 00:00:00+00';
SELECT ratchet.create_queue('q');
SELECT ratchet.register_workflow('wf', '{"queue": "q"}');
CREATE TEMP TABLE w AS SELECT ratchet.register_worker('w1', ARRAY['q']) AS id;
CREATE TEMP TABLE r AS SELECT ratchet.start('wf') AS id;
CREATE TEMP TABLE c1 AS SELECT * FROM ratchet.claim((SELECT w.id FROM w));
-- sleep(5 minutes) at 00:00
SELECT ratchet.sleep((SELECT c1.task FROM c1), 'nap', '2030-01-01 00:05:00+00');

-- The run is cancelled and retried at 00:01, then replays sleep(5 minutes).
SET LOCAL "ratchet.fake_now" = '2030-01-01 00:01:00+00';
SELECT ratchet.cancel((SELECT r.id FROM r));
SELECT ratchet.retry((SELECT r.id FROM r));
CREATE TEMP TABLE c2 AS SELECT * FROM ratchet.claim((SELECT w.id FROM w));
SELECT is(
    ratchet.sleep((SELECT c2.task FROM c2), 'nap', '2030-01-01 00:06:00+00'), TRUE,
    'still asleep: the recorded wake_at 00:05 is ahead'
);
SET LOCAL "ratchet.fake_now" = '2030-01-01 00:05:00+00';
CREATE TEMP TABLE c3 AS SELECT * FROM ratchet.claim((SELECT w.id FROM w));
SELECT is(
    (SELECT c3.run FROM c3), (SELECT r.id FROM r),
    'claimable at the recorded 00:05, not 00:06'
);
SELECT is(
    ratchet.sleep((SELECT c3.task FROM c3), 'nap', '2030-01-01 00:10:00+00'), FALSE,
    'a replay after wake_at returns false, whatever wake_at it asks for'
);
SELECT is(
    ((SELECT c3.checkpoints FROM c3) -> 'nap' ->> 'wake_at')::timestamptz,
    '2030-01-01 00:05:00+00'::timestamptz,
    'the recorded wake_at never changed'
);
SELECT lives_ok(
    $$SELECT ratchet.complete((SELECT c3.task FROM c3))$$,
    'the task is still held after a false sleep'
);

SELECT * FROM finish();
ROLLBACK;
