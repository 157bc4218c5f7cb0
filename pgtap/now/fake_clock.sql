-- SET ratchet.fake_now moves the engine clock; RESET brings the real one back.
BEGIN;
SELECT plan(4);

SET LOCAL "ratchet.fake_now" = '2030-01-01 00:00:00+00';
SELECT is(
    ratchet.now(), '2030-01-01 00:00:00+00'::timestamptz,
    'now() returns ratchet.fake_now'
);

SET LOCAL "ratchet.fake_now" = '2031-06-15 12:30:00+02';
SELECT is(
    ratchet.now(), '2031-06-15 10:30:00+00'::timestamptz,
    'now() follows a new fake_now, time zone included'
);

SELECT set_config('ratchet.fake_now', '2032-02-02 00:00:00+00', TRUE);
SELECT is(
    ratchet.now(), '2032-02-02 00:00:00+00'::timestamptz,
    'set_config() moves the clock too'
);

-- After RESET the placeholder setting reads as an empty string, not NULL.
RESET "ratchet.fake_now";
SELECT ok(
    ratchet.now() BETWEEN clock_timestamp() - interval '1 minute'
    AND clock_timestamp(),
    'after RESET, now() is the wall clock again'
);

SELECT * FROM finish();
ROLLBACK;
