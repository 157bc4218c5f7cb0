-- Without ratchet.fake_now, ratchet.now() is the wall clock (clock_timestamp).
BEGIN;
SELECT plan(2);

CREATE TEMP TABLE t AS
SELECT
    clock_timestamp() AS before_call,
    ratchet.now() AS engine_now,
    clock_timestamp() AS after_call;

SELECT ok(
    (SELECT engine_now BETWEEN before_call AND after_call FROM t),
    'now() lies between two clock_timestamp() reads'
);

-- The transaction start time is frozen; the engine clock must not be.
SELECT pg_sleep(0.01);
SELECT ok(
    ratchet.now() > (SELECT after_call FROM t),
    'now() moves inside one transaction'
);

SELECT * FROM finish();
ROLLBACK;
