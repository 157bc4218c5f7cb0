-- An expired lease stays lost: heartbeat neither extends nor reports it.
BEGIN;
SELECT plan(4);

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

SET LOCAL "ratchet.fake_now" = '2030-01-01 00:00:11+00';
SELECT is(
    ratchet.heartbeat((SELECT w.id FROM w)),
    '2030-01-01 00:01:11+00'::timestamptz,
    'only the live task counts'
);
SELECT throws_ok(
    $$SELECT ratchet.complete((SELECT c.task FROM c WHERE c.queue = 'q_short'))$$,
    'RT001', NULL, 'the expired task is not held after the heartbeat'
);
SELECT lives_ok(
    $$SELECT ratchet.complete((SELECT c.task FROM c WHERE c.queue = 'q_long'))$$,
    'the live task is'
);
SELECT ok(
    ratchet.heartbeat((SELECT w.id FROM w)) IS NULL,
    'nothing held any more: null'
);

SELECT * FROM finish();
ROLLBACK;
