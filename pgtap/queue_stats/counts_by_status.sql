-- queue_stats counts a queue's runs by status.
BEGIN;
SELECT plan(9);

SET LOCAL "ratchet.fake_now" = '2030-01-01 00:00:00+00';
SELECT ratchet.create_queue('q', '{"max_attempts": 1}');
SELECT ratchet.create_queue('q_empty');
SELECT ratchet.register_workflow('wf', '{"queue": "q"}');
CREATE TEMP TABLE w AS SELECT ratchet.register_worker('w1', ARRAY['q']) AS id;
SELECT ratchet.start('wf') FROM generate_series(1, 6);
CREATE TEMP TABLE c AS
SELECT
    c.*,
    row_number() OVER (ORDER BY c.task) AS n
FROM ratchet.claim((SELECT w.id FROM w), 6) AS c;
-- 1 stays running, 2 completes, 3 fails, 4 sleeps, 5 waits, 6 is cancelled.
SELECT ratchet.complete((SELECT c.task FROM c WHERE c.n = 2));
SELECT ratchet.fail((SELECT c.task FROM c WHERE c.n = 3), '{"e": 1}');
SELECT ratchet.sleep(
    (SELECT c.task FROM c WHERE c.n = 4), 'nap', '2030-02-01 00:00:00+00'
);
SELECT ratchet.await_event((SELECT c.task FROM c WHERE c.n = 5), 'w', 'go');
SELECT ratchet.cancel((SELECT c.run FROM c WHERE c.n = 6));
SELECT ratchet.start('wf') FROM generate_series(1, 2);

CREATE TEMP TABLE s AS SELECT * FROM ratchet.queue_stats WHERE queue = 'q';
SELECT is((SELECT s.queued FROM s)::int, 2, 'queued');
SELECT is((SELECT s.running FROM s)::int, 1, 'running');
SELECT is((SELECT s.sleeping FROM s)::int, 1, 'sleeping');
SELECT is((SELECT s.waiting FROM s)::int, 1, 'waiting');
SELECT is((SELECT s.completed FROM s)::int, 1, 'completed');
SELECT is((SELECT s.failed FROM s)::int, 1, 'failed');
SELECT is((SELECT s.cancelled FROM s)::int, 1, 'cancelled');
SELECT is(
    (
        SELECT
            coalesce(qs.queued, 0) + coalesce(qs.running, 0)
            + coalesce(qs.completed, 0)
        FROM ratchet.queue_stats AS qs
        WHERE qs.queue = 'q_empty'
    )::int,
    0,
    'an empty queue is listed with nothing in it'
);
SELECT is(
    (SELECT count(*) FROM ratchet.queue_stats WHERE queue = 'q'), 1::bigint,
    'one row per queue'
);

SELECT * FROM finish();
ROLLBACK;
