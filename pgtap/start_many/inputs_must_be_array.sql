-- inputs must be a JSON array; an empty array starts nothing.
BEGIN;
SELECT plan(3);

SELECT ratchet.register_workflow('wf');

SELECT throws_ok(
    $$SELECT ratchet.start_many('wf', '{"n": 1}')$$,
    'RT005', NULL, 'an object instead of an array'
);
SELECT throws_ok(
    $$SELECT ratchet.start_many('wf', '"x"')$$,
    'RT005', NULL, 'a string instead of an array'
);
SELECT is_empty(
    $$SELECT * FROM ratchet.start_many('wf', '[]')$$,
    'an empty array returns no ids'
);

SELECT * FROM finish();
ROLLBACK;
