-- A run held by a live lease is never handed to a second worker.
BEGIN;
SELECT plan(2);

SET LOCAL "ratchet.fake_now" = '2030-01-01 00:00:00+00';
SELECT ratchet.create_queue('q', '{"lease": "10 seconds"}');
SELECT ratchet.register_workflow('wf', '{"queue": "q"}');
CREATE TEMP TABLE w AS
SELECT
    ratchet.register_worker('w1', ARRAY['q']) AS first_id,
    ratchet.register_worker('w2', ARRAY['q']) AS second_id;
SELECT ratchet.start('wf');

SELECT is(
    (SELECT count(*) FROM ratchet.claim((SELECT w.first_id FROM w), 10)),
    1::bigint,
    'the first worker gets the run'
);
SET LOCAL "ratchet.fake_now" = '2030-01-01 00:00:09+00';
SELECT is(
    (SELECT count(*) FROM ratchet.claim((SELECT w.second_id FROM w), 10)),
    0::bigint,
    'the second gets nothing while the lease lives'
);

SELECT * FROM finish();
ROLLBACK;
