-- A workflow on a queue that does not exist raises RT004.
BEGIN;
SELECT plan(2);

SELECT throws_ok(
    $$SELECT ratchet.register_workflow('wf', '{"queue": "nope"}')$$,
    'RT004', NULL, 'unknown queue'
);
SELECT throws_ok(
    $$SELECT ratchet.start('wf')$$,
    'RT003', NULL, 'the workflow was not registered'
);

SELECT * FROM finish();
ROLLBACK;
