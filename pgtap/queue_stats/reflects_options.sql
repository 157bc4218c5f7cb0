-- queue_stats shows the paused flag and the concurrency limit.
BEGIN;
SELECT plan(4);

SELECT ratchet.create_queue('q', '{"concurrency": 3}');
SELECT is(
    (SELECT paused FROM ratchet.queue_stats WHERE queue = 'q'), FALSE,
    'not paused'
);
SELECT is(
    (SELECT concurrency FROM ratchet.queue_stats WHERE queue = 'q')::int, 3,
    'concurrency 3'
);
SELECT ratchet.create_queue('q', '{"paused": true, "concurrency": 7}');
SELECT is(
    (SELECT paused FROM ratchet.queue_stats WHERE queue = 'q'), TRUE,
    'paused'
);
SELECT is(
    (SELECT concurrency FROM ratchet.queue_stats WHERE queue = 'q')::int, 7,
    'concurrency 7'
);

SELECT * FROM finish();
ROLLBACK;
