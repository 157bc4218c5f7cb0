-- claim by an unknown worker raises RT007.
BEGIN;
SELECT plan(1);

SELECT throws_ok(
    $$SELECT * FROM ratchet.claim(-1)$$, 'RT007', NULL, 'unknown worker'
);

SELECT * FROM finish();
ROLLBACK;
