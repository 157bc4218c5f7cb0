-- Across a worker's queues, priority and due time decide, not the queue.
BEGIN;
SELECT plan(2);

SET LOCAL "ratchet.fake_now" = '2030-01-01 00:00:00+00';
SELECT ratchet.create_queue('q_a');
SELECT ratchet.create_queue('q_b');
SELECT ratchet.register_workflow('wf_a', '{"queue": "q_a"}');
SELECT ratchet.register_workflow('wf_b', '{"queue": "q_b"}');
CREATE TEMP TABLE r AS SELECT ratchet.start('wf_a') AS a_first;
SET LOCAL "ratchet.fake_now" = '2030-01-01 00:00:01+00';
ALTER TABLE r ADD COLUMN b_urgent bigint;
UPDATE r SET b_urgent = ratchet.start('wf_b', '{}', '{"priority": -5}');
CREATE TEMP TABLE w AS
SELECT ratchet.register_worker('w1', ARRAY['q_a', 'q_b']) AS id;

SET LOCAL "ratchet.fake_now" = '2030-01-01 00:00:10+00';
SELECT is(
    (SELECT c.run FROM ratchet.claim((SELECT w.id FROM w), 1) AS c),
    (SELECT r.b_urgent FROM r),
    'the urgent run of q_b first'
);
SELECT is(
    (SELECT c.run FROM ratchet.claim((SELECT w.id FROM w), 1) AS c),
    (SELECT r.a_first FROM r),
    'then the older run of q_a'
);

SELECT * FROM finish();
ROLLBACK;
