-- concurrency caps runs held by a live lease on the queue.
BEGIN;
SELECT plan(5);

SET LOCAL "ratchet.fake_now" = '2030-01-01 00:00:00+00';
SELECT ratchet.create_queue(
    'q',
    '{"concurrency": 2, "lease": "10 seconds",
      "backoff": {"initial": "1 hour", "max": "1 hour"}}'
);
SELECT ratchet.register_workflow('wf', '{"queue": "q"}');
CREATE TEMP TABLE w AS
SELECT
    ratchet.register_worker('w1', ARRAY['q']) AS id,
    ratchet.register_worker('w2', ARRAY['q']) AS other;
SELECT ratchet.start('wf') FROM generate_series(1, 4);

CREATE TEMP TABLE c AS SELECT * FROM ratchet.claim((SELECT w.id FROM w), 10);
SELECT is((SELECT count(*) FROM c), 2::bigint, 'two of four claimed');
SELECT is(
    (SELECT count(*) FROM ratchet.claim((SELECT w.other FROM w), 10)),
    0::bigint,
    'the limit holds across workers'
);
SELECT ratchet.complete((SELECT min(c.task) FROM c));
SELECT is(
    (SELECT count(*) FROM ratchet.claim((SELECT w.other FROM w), 10)),
    1::bigint,
    'a completion frees one slot'
);
SELECT is(
    (SELECT count(*) FROM ratchet.claim((SELECT w.other FROM w), 10)),
    0::bigint,
    'and only one'
);

-- Both leases lost; their runs wait out a 1 h backoff, the fourth is due.
SET LOCAL "ratchet.fake_now" = '2030-01-01 00:10:00+00';
SELECT is(
    (SELECT count(*) FROM ratchet.claim((SELECT w.other FROM w), 10)),
    1::bigint,
    'expired leases do not hold slots'
);

SELECT * FROM finish();
ROLLBACK;
