-- Updating a queue changes only the options given; the others stay.
BEGIN;
SELECT plan(6);

SET LOCAL "ratchet.fake_now" = '2030-01-01 00:00:00+00';
SELECT ratchet.create_queue(
    'q',
    '{"concurrency": 1, "lease": "10 seconds", "max_attempts": 2,
      "backoff": {"initial": "5 seconds", "jitter": 0}}'
);
SELECT ratchet.create_queue('q', '{"paused": true}');

SELECT is(
    (
        SELECT paused FROM ratchet.queue_stats
        WHERE queue = 'q'
    ), TRUE,
    'the given option changed'
);
SELECT is(
    (
        SELECT concurrency FROM ratchet.queue_stats
        WHERE queue = 'q'
    )::int, 1,
    'concurrency kept'
);

SELECT ratchet.create_queue('q', '{"paused": false}');
SELECT ratchet.register_workflow('wf', '{"queue": "q"}');
CREATE TEMP TABLE w AS SELECT ratchet.register_worker('w1', ARRAY['q']) AS id;
SELECT ratchet.start('wf') FROM generate_series(1, 2);

CREATE TEMP TABLE c1 AS SELECT * FROM ratchet.claim((SELECT id FROM w), 10);
SELECT is(
    (SELECT count(*) FROM c1), 1::bigint,
    'the concurrency limit of 1 still applies'
);
SELECT is(
    (SELECT lease_expires_at FROM c1),
    '2030-01-01 00:00:10+00'::timestamptz,
    'lease kept at 10 seconds'
);
SELECT is(
    ratchet.fail((SELECT task FROM c1), '{"boom": 1}'), 'retrying',
    'first failure retries'
);

SET LOCAL "ratchet.fake_now" = '2030-01-01 00:01:00+00';
-- The other run was due first: finish it, then the retried run comes back.
CREATE TEMP TABLE c2 AS SELECT * FROM ratchet.claim((SELECT id FROM w), 10);
SELECT ratchet.complete((SELECT task FROM c2));
CREATE TEMP TABLE c3 AS SELECT * FROM ratchet.claim((SELECT id FROM w), 10);
SELECT is(
    ratchet.fail(
        (SELECT c3.task FROM c3 INNER JOIN c1 ON c3.run = c1.run),
        '{"boom": 2}'
    ),
    'failed',
    'max_attempts kept at 2'
);

SELECT * FROM finish();
ROLLBACK;
