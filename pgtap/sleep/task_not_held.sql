-- sleep on a task not held raises RT001.
BEGIN;
SELECT plan(1);

SELECT throws_ok(
    $$SELECT ratchet.sleep(-1, 'nap', '2030-01-01 00:00:00+00')$$,
    'RT001', NULL, 'unknown task'
);

SELECT * FROM finish();
ROLLBACK;
