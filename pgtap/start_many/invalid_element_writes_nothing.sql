-- One bad element raises RT005 and no run of the batch is written.
BEGIN;
SELECT plan(4);

SELECT ratchet.register_workflow('wf');
CREATE TEMP TABLE before AS SELECT count(*) AS n FROM ratchet.runs;

SELECT throws_ok(
    $$SELECT ratchet.start_many('wf', '[{"n": 1}, [2], {"n": 3}]')$$,
    'RT005', NULL, 'an element that is an array'
);
SELECT throws_ok(
    $$SELECT ratchet.start_many('wf', '[{"n": 1}, 5]')$$,
    'RT005', NULL, 'an element that is a number'
);
SELECT throws_ok(
    $$SELECT ratchet.start_many('wf', '[{}]', '{"colour": "red"}')$$,
    'RT005', NULL, 'an unknown option'
);
SELECT is(
    (SELECT count(*) FROM ratchet.runs), (SELECT b.n FROM before AS b),
    'no run was written'
);

SELECT * FROM finish();
ROLLBACK;
