-- heartbeat returns the earliest new expiry across the worker's tasks.
BEGIN;
SELECT plan(2);

SET LOCAL "ratchet.fake_now" = '2030-01-01 00:00:00+00';
SELECT ratchet.create_queue('q_short', '{"lease": "10 seconds"}');
SELECT ratchet.create_queue('q_long', '{"lease": "60 seconds"}');
SELECT ratchet.register_workflow('wf_short', '{"queue": "q_short"}');
SELECT ratchet.register_workflow('wf_long', '{"queue": "q_long"}');
CREATE TEMP TABLE w AS
SELECT ratchet.register_worker('w1', ARRAY['q_short', 'q_long']) AS id;
SELECT ratchet.start('wf_short');
SELECT ratchet.start('wf_long');
CREATE TEMP TABLE c AS SELECT * FROM ratchet.claim((SELECT w.id FROM w), 10);

SELECT is((SELECT count(*) FROM c), 2::bigint, 'two tasks held');
SET LOCAL "ratchet.fake_now" = '2030-01-01 00:00:05+00';
SELECT is(
    ratchet.heartbeat((SELECT w.id FROM w)),
    '2030-01-01 00:00:15+00'::timestamptz,
    'the earliest of 00:15 and 01:05'
);

SELECT * FROM finish();
ROLLBACK;
