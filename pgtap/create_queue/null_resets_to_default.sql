-- An option given as JSON null goes back to its default.
BEGIN;
SELECT plan(5);

SET LOCAL "ratchet.fake_now" = '2030-01-01 00:00:00+00';
SELECT ratchet.create_queue(
    'q',
    '{"concurrency": 1, "lease": "10 seconds", "paused": true,
      "max_attempts": 1}'
);
SELECT ratchet.create_queue(
    'q',
    '{"concurrency": null, "lease": null, "paused": null,
      "max_attempts": null}'
);

SELECT ok(
    (
        SELECT concurrency IS NULL FROM ratchet.queue_stats
        WHERE queue = 'q'
    ),
    'concurrency null means unlimited again'
);
SELECT is(
    (
        SELECT paused FROM ratchet.queue_stats
        WHERE queue = 'q'
    ), FALSE,
    'paused null means not paused'
);

SELECT ratchet.register_workflow('wf', '{"queue": "q"}');
CREATE TEMP TABLE w AS SELECT ratchet.register_worker('w1', ARRAY['q']) AS id;
SELECT ratchet.start('wf') FROM generate_series(1, 2);
CREATE TEMP TABLE c AS SELECT * FROM ratchet.claim((SELECT id FROM w), 10);

SELECT is(
    (SELECT count(*) FROM c), 2::bigint,
    'both runs claimed: no limit'
);
SELECT is(
    (SELECT min(lease_expires_at) FROM c),
    '2030-01-01 00:00:30+00'::timestamptz,
    'lease null means 30 seconds'
);
SELECT is(
    ratchet.fail((SELECT min(task) FROM c), '{"boom": 1}'), 'retrying',
    'max_attempts null means 5 again, so the first failure retries'
);

SELECT * FROM finish();
ROLLBACK;
