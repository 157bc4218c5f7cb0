-- signal to a run that does not exist raises RT006.
BEGIN;
SELECT plan(1);

SELECT throws_ok(
    $$SELECT ratchet.signal(-1, 'go', '{}')$$, 'RT006', NULL, 'unknown run'
);

SELECT * FROM finish();
ROLLBACK;
