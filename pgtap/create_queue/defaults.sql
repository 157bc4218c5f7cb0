-- A queue created without options: not paused, unlimited, 30 s lease.
BEGIN;
SELECT plan(4);

SET LOCAL "ratchet.fake_now" = '2030-01-01 00:00:00+00';
SELECT ratchet.create_queue('q');
SELECT ratchet.register_workflow('wf', '{"queue": "q"}');
CREATE TEMP TABLE w AS SELECT ratchet.register_worker('w1', ARRAY['q']) AS id;
SELECT ratchet.start('wf') FROM generate_series(1, 3);

SELECT is(
    (
        SELECT paused FROM ratchet.queue_stats
        WHERE queue = 'q'
    ),
    FALSE,
    'a new queue is not paused'
);
SELECT ok(
    (
        SELECT concurrency IS NULL FROM ratchet.queue_stats
        WHERE queue = 'q'
    ),
    'a new queue has no concurrency limit'
);

CREATE TEMP TABLE c AS SELECT * FROM ratchet.claim((SELECT id FROM w), 10);
SELECT is(
    (SELECT count(*) FROM c), 3::bigint,
    'all three runs are claimable at once'
);
SELECT is(
    (SELECT min(lease_expires_at) FROM c),
    '2030-01-01 00:00:30+00'::timestamptz,
    'the default lease is 30 seconds'
);

SELECT * FROM finish();
ROLLBACK;
