-- Unknown option keys raise RT005; an unknown queue raises RT004.
BEGIN;
SELECT plan(4);

SELECT ratchet.register_workflow('wf');
CREATE TEMP TABLE before AS SELECT count(*) AS n FROM ratchet.runs;

SELECT throws_ok(
    $$SELECT ratchet.start('wf', '{}', '{"priorty": 1}')$$,
    'RT005', NULL, 'a misspelt option'
);
SELECT throws_ok(
    $$SELECT ratchet.start('wf', '{}', '{"queue": "nope"}')$$,
    'RT004', NULL, 'an unknown queue'
);
SELECT throws_ok(
    $$SELECT ratchet.start('wf', '{}', '[]')$$,
    'RT005', NULL, 'options that are not an object'
);
SELECT is(
    (SELECT count(*) FROM ratchet.runs), (SELECT b.n FROM before AS b),
    'no run was written'
);

SELECT * FROM finish();
ROLLBACK;
