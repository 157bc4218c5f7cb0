-- A sleeping run is claimable at wake_at without a tick, same attempt.
BEGIN;
SELECT plan(5);

SET LOCAL "ratchet.fake_now" = '2030-01-01 00:00:00+00';
SELECT ratchet.create_queue('q');
SELECT ratchet.register_workflow('wf', '{"queue": "q"}');
CREATE TEMP TABLE w AS SELECT ratchet.register_worker('w1', ARRAY['q']) AS id;
CREATE TEMP TABLE r AS SELECT ratchet.start('wf') AS id;
CREATE TEMP TABLE c1 AS SELECT * FROM ratchet.claim((SELECT w.id FROM w));
SELECT ratchet.sleep((SELECT c1.task FROM c1), 'nap', '2030-01-01 00:05:00+00');

SET LOCAL "ratchet.fake_now" = '2030-01-01 00:04:59.9+00';
SELECT is(
    (SELECT count(*) FROM ratchet.claim((SELECT w.id FROM w), 10)), 0::bigint,
    'not before wake_at'
);
SET LOCAL "ratchet.fake_now" = '2030-01-01 00:05:00+00';
CREATE TEMP TABLE c2 AS SELECT * FROM ratchet.claim((SELECT w.id FROM w), 10);
SELECT is((SELECT c2.run FROM c2), (SELECT r.id FROM r), 'claimable at wake_at');
SELECT is((SELECT c2.attempt FROM c2), 1, 'waking is not a new attempt');
SELECT is(
    ((SELECT c2.checkpoints FROM c2) -> 'nap' ->> 'wake_at')::timestamptz,
    '2030-01-01 00:05:00+00'::timestamptz,
    'the step records its wake_at'
);
SELECT is(
    ratchet.sleep((SELECT c2.task FROM c2), 'nap', '2030-01-01 00:05:00+00'), FALSE,
    'the replayed sleep returns false'
);

SELECT * FROM finish();
ROLLBACK;
