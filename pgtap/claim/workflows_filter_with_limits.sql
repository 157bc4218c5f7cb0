-- A worker limited to several workflows still keeps each queue's concurrency
-- and max_tasks, and a workflow named twice in its filter counts once.
BEGIN;
SELECT plan(3);

SELECT ratchet.create_queue('limited', '{"concurrency": 2}');
SELECT ratchet.create_queue('open');
SELECT ratchet.register_workflow('wf_a', '{"queue": "limited"}');
SELECT ratchet.register_workflow('wf_b', '{"queue": "limited"}');
SELECT ratchet.start('wf_a') FROM generate_series(1, 3);
SELECT ratchet.start('wf_b') FROM generate_series(1, 3);
SELECT ratchet.start('wf_a', '{}', '{"queue": "open"}') FROM generate_series(1, 3);
CREATE TEMP TABLE w AS
SELECT
    ratchet.register_worker('lim', ARRAY['limited'], ARRAY['wf_a', 'wf_b']) AS lim,
    ratchet.register_worker('dup', ARRAY['open'], ARRAY['wf_a', 'wf_a']) AS dup;

SELECT is(
    (SELECT count(*) FROM ratchet.claim((SELECT w.lim FROM w), 10)), 2::bigint,
    'two workflows of a concurrency-2 queue: two tasks'
);
SELECT is(
    (SELECT count(*) FROM ratchet.claim((SELECT w.dup FROM w), 2)), 2::bigint,
    'a workflow named twice: max_tasks runs'
);
SELECT is(
    (SELECT count(*) FROM ratchet.claim((SELECT w.dup FROM w), 10)), 1::bigint,
    'and the last one next'
);

SELECT * FROM finish();
ROLLBACK;
