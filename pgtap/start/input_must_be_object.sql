-- input is a JSON object; SQL NULL and JSON null mean {}; else RT005.
BEGIN;
SELECT plan(8);

SELECT ratchet.register_workflow('wf');
CREATE TEMP TABLE before AS SELECT count(*) AS n FROM ratchet.runs;

SELECT throws_ok(
    $$SELECT ratchet.start('wf', '[1, 2]')$$, 'RT005', NULL, 'an array'
);
SELECT throws_ok(
    $$SELECT ratchet.start('wf', '1')$$, 'RT005', NULL, 'a number'
);
SELECT throws_ok(
    $$SELECT ratchet.start('wf', '"text"')$$, 'RT005', NULL, 'a string'
);
SELECT throws_ok(
    $$SELECT ratchet.start('wf', 'true')$$, 'RT005', NULL, 'a boolean'
);
SELECT is(
    (SELECT count(*) FROM ratchet.runs), (SELECT b.n FROM before AS b),
    'no run was written'
);

CREATE TEMP TABLE r AS
SELECT
    ratchet.start('wf', NULL) AS sql_null,
    ratchet.start('wf', 'null') AS json_null,
    ratchet.start('wf') AS omitted;

SELECT is(runs.input, '{}'::jsonb, 'SQL NULL input becomes {}')
FROM ratchet.runs INNER JOIN r ON runs.id = r.sql_null;
SELECT is(runs.input, '{}'::jsonb, 'JSON null input becomes {}')
FROM ratchet.runs INNER JOIN r ON runs.id = r.json_null;
SELECT is(runs.input, '{}'::jsonb, 'the default input is {}')
FROM ratchet.runs INNER JOIN r ON runs.id = r.omitted;

SELECT * FROM finish();
ROLLBACK;
