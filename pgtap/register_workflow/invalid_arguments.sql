-- Bad names, unknown options and bad values raise RT005 and register nothing.
BEGIN;
SELECT plan(7);

SELECT throws_ok(
    $$SELECT ratchet.register_workflow('Bad')$$, 'RT005', NULL, 'upper case name'
);
SELECT throws_ok(
    $$SELECT ratchet.register_workflow(repeat('w', 49))$$,
    'RT005', NULL, 'a 49-character name'
);
SELECT throws_ok(
    $$SELECT ratchet.register_workflow('wf', '{"queu": "default"}')$$,
    'RT005', NULL, 'unknown option'
);
SELECT throws_ok(
    $$SELECT ratchet.register_workflow('wf', '{"max_attempts": 0}')$$,
    'RT005', NULL, 'max_attempts below 1'
);
SELECT throws_ok(
    $$SELECT ratchet.register_workflow('wf', '{"timeout": "banana"}')$$,
    'RT005', NULL, 'a timeout that is not a duration'
);
SELECT throws_ok(
    $$SELECT ratchet.register_workflow('wf', '"x"')$$,
    'RT005', NULL, 'options that are not an object'
);
SELECT throws_ok(
    $$SELECT ratchet.start('wf')$$,
    'RT003', NULL, 'nothing was registered'
);

SELECT * FROM finish();
ROLLBACK;
