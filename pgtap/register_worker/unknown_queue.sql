-- A worker on a queue that does not exist raises RT004.
BEGIN;
SELECT plan(2);

SELECT throws_ok(
    $$SELECT ratchet.register_worker('w1', ARRAY['nope'])$$,
    'RT004', NULL, 'unknown queue'
);
SELECT throws_ok(
    $$SELECT ratchet.register_worker('w1', ARRAY['default', 'nope'])$$,
    'RT004', NULL, 'one unknown queue among known ones'
);

SELECT * FROM finish();
ROLLBACK;
