-- cancel of a run that does not exist raises RT006.
BEGIN;
SELECT plan(1);

SELECT throws_ok(
    $$SELECT ratchet.cancel(-1)$$, 'RT006', NULL, 'unknown run'
);

SELECT * FROM finish();
ROLLBACK;
