-- Each backoff key is its own option: updating one keeps the others.
BEGIN;
SELECT plan(9);

SET LOCAL "ratchet.fake_now" = '2030-01-01 00:00:00+00';
SELECT ratchet.create_queue(
    'q', '{"backoff": {"initial": "10 seconds", "jitter": 0}}'
);
SELECT ratchet.create_queue('q', '{"backoff": {"factor": 3}}');
SELECT ratchet.register_workflow('wf', '{"queue": "q"}');
CREATE TEMP TABLE w AS SELECT ratchet.register_worker('w1', ARRAY['q']) AS id;
SELECT ratchet.start('wf');

-- Failure 1 at T: waits initial = 10 s exactly (jitter kept at 0).
CREATE TEMP TABLE c1 AS SELECT * FROM ratchet.claim((SELECT id FROM w));
SELECT is(
    ratchet.fail((SELECT task FROM c1), '{"n": 1}'), 'retrying', 'failure 1'
);
SET LOCAL "ratchet.fake_now" = '2030-01-01 00:00:09.9+00';
SELECT is(
    (SELECT count(*) FROM ratchet.claim((SELECT id FROM w))), 0::bigint,
    'initial kept: not due before 10 s'
);
SET LOCAL "ratchet.fake_now" = '2030-01-01 00:00:10+00';
CREATE TEMP TABLE c2 AS SELECT * FROM ratchet.claim((SELECT id FROM w));
SELECT is((SELECT count(*) FROM c2), 1::bigint, 'due at 10 s');

-- Failure 2 at T+10: waits 10 * 3 = 30 s (the new factor).
SELECT is(
    ratchet.fail((SELECT task FROM c2), '{"n": 2}'), 'retrying', 'failure 2'
);
SET LOCAL "ratchet.fake_now" = '2030-01-01 00:00:39.9+00';
SELECT is(
    (SELECT count(*) FROM ratchet.claim((SELECT id FROM w))), 0::bigint,
    'factor 3: not due before 30 s'
);
SET LOCAL "ratchet.fake_now" = '2030-01-01 00:00:40+00';
CREATE TEMP TABLE c3 AS SELECT * FROM ratchet.claim((SELECT id FROM w));
SELECT is((SELECT count(*) FROM c3), 1::bigint, 'due after 30 s');

-- Failure 3 at T+40: 10 * 9 = 90 s, capped by the new max of 40 s.
SELECT ratchet.create_queue('q', '{"backoff": {"max": "40 seconds"}}');
SELECT is(
    ratchet.fail((SELECT task FROM c3), '{"n": 3}'), 'retrying', 'failure 3'
);
SET LOCAL "ratchet.fake_now" = '2030-01-01 00:01:19.9+00';
SELECT is(
    (SELECT count(*) FROM ratchet.claim((SELECT id FROM w))), 0::bigint,
    'max 40 s: not due before 40 s'
);
SET LOCAL "ratchet.fake_now" = '2030-01-01 00:01:20+00';
SELECT is(
    (SELECT count(*) FROM ratchet.claim((SELECT id FROM w))), 1::bigint,
    'capped at 40 s'
);

SELECT * FROM finish();
ROLLBACK;
