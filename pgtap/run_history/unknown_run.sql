-- run_history of a run that does not exist raises RT006.
BEGIN;
SELECT plan(1);

SELECT throws_ok(
    $$SELECT * FROM ratchet.run_history(-1)$$, 'RT006', NULL, 'unknown run'
);

SELECT * FROM finish();
ROLLBACK;
