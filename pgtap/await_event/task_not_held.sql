-- await_event on a task not held raises RT001.
BEGIN;
SELECT plan(1);

SELECT throws_ok(
    $$SELECT ratchet.await_event(-1, 'w', 'go')$$, 'RT001', NULL, 'unknown task'
);

SELECT * FROM finish();
ROLLBACK;
