-- At equal priority a worker's queues take turns: a backlog in one queue does
-- not hold back fresh runs of another (issue 7, D11).
BEGIN;
SELECT plan(3);

SET LOCAL "ratchet.fake_now" = '2030-01-01 00:00:00+00';
SELECT ratchet.create_queue('lq');
SELECT ratchet.create_queue('other');
SELECT ratchet.register_workflow('wf_l', '{"queue": "lq"}');
SELECT ratchet.register_workflow('wf_o', '{"queue": "other"}');
CREATE TEMP TABLE backlog AS
SELECT b.id FROM ratchet.start_many(
    'wf_l', (SELECT jsonb_agg('{}'::jsonb) FROM generate_series(1, 2000))
) AS b (id);
-- The fresh runs are due a minute after the whole backlog.
SET LOCAL "ratchet.fake_now" = '2030-01-01 00:01:00+00';
CREATE TEMP TABLE fresh AS
SELECT f.id FROM ratchet.start_many(
    'wf_o', (SELECT jsonb_agg('{}'::jsonb) FROM generate_series(1, 5))
) AS f (id);
CREATE TEMP TABLE w AS
SELECT ratchet.register_worker('w1', ARRAY['lq', 'other']) AS id;

SET LOCAL "ratchet.fake_now" = '2030-01-01 00:10:00+00';
CREATE TEMP TABLE c AS SELECT * FROM ratchet.claim((SELECT w.id FROM w), 10);
SELECT bag_eq(
    $$SELECT c.run FROM c WHERE c.queue = 'other'$$,
    $$SELECT f.id FROM fresh AS f$$,
    'the first claim of ten takes all five fresh runs'
);
SELECT bag_eq(
    $$SELECT c.run FROM c WHERE c.queue = 'lq'$$,
    $$SELECT b.id FROM backlog AS b ORDER BY b.id LIMIT 5$$,
    'and the five oldest of the backlog'
);
SELECT is(
    (SELECT array_agg(DISTINCT c1.queue) FROM ratchet.claim((SELECT w.id FROM w), 1) AS c1),
    ARRAY['lq'],
    'then the backlog goes on alone'
);

SELECT * FROM finish();
ROLLBACK;
