-- A backoff key given as null returns to its default; the others stay.
BEGIN;
SELECT plan(3);

SET LOCAL "ratchet.fake_now" = '2030-01-01 00:00:00+00';
SELECT ratchet.create_queue(
    'q', '{"backoff": {"initial": "10 seconds", "jitter": 0}}'
);
SELECT ratchet.create_queue('q', '{"backoff": {"initial": null}}');
SELECT ratchet.register_workflow('wf', '{"queue": "q"}');
CREATE TEMP TABLE w AS SELECT ratchet.register_worker('w1', ARRAY['q']) AS id;
SELECT ratchet.start('wf');
CREATE TEMP TABLE c AS SELECT * FROM ratchet.claim((SELECT id FROM w));
SELECT ratchet.fail((SELECT task FROM c), '{"boom": 1}');

-- initial back to 1 s, jitter still 0: due exactly at T+1 s.
SET LOCAL "ratchet.fake_now" = '2030-01-01 00:00:00.999+00';
SELECT is(
    (SELECT count(*) FROM ratchet.claim((SELECT id FROM w))), 0::bigint,
    'not due before 1 s (jitter stayed 0)'
);
SET LOCAL "ratchet.fake_now" = '2030-01-01 00:00:01+00';
SELECT is(
    (SELECT count(*) FROM ratchet.claim((SELECT id FROM w))), 1::bigint,
    'due at 1 s: initial went back to its default'
);

SELECT throws_ok(
    $$SELECT ratchet.create_queue('q', '{"backoff": "fast"}')$$,
    'RT005', NULL, 'backoff must be an object'
);

SELECT * FROM finish();
ROLLBACK;
