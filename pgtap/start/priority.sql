-- priority is a smallint stored on the run; other values raise RT005.
BEGIN;
SELECT plan(4);

SELECT ratchet.register_workflow('wf');
CREATE TEMP TABLE r AS
SELECT ratchet.start('wf', '{}', '{"priority": -3}') AS id;

SELECT is(runs.priority::int, -3, 'priority stored')
FROM ratchet.runs INNER JOIN r ON runs.id = r.id;
SELECT throws_ok(
    $$SELECT ratchet.start('wf', '{}', '{"priority": "high"}')$$,
    'RT005', NULL, 'a priority that is not a number'
);
SELECT throws_ok(
    $$SELECT ratchet.start('wf', '{}', '{"priority": 40000}')$$,
    'RT005', NULL, 'a priority outside smallint'
);
SELECT throws_ok(
    $$SELECT ratchet.start('wf', '{}', '{"priority": 1.5}')$$,
    'RT005', NULL, 'a fractional priority'
);

SELECT * FROM finish();
ROLLBACK;
