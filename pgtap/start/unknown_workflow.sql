-- Starting an unregistered workflow raises RT003 and writes nothing.
BEGIN;
SELECT plan(3);

CREATE TEMP TABLE before AS SELECT count(*) AS n FROM ratchet.runs;

SELECT throws_ok(
    $$SELECT ratchet.start('nope')$$, 'RT003', NULL, 'unknown workflow'
);
SELECT throws_ok(
    $$SELECT ratchet.start_many('nope', '[{}]')$$,
    'RT003', NULL, 'unknown workflow in start_many'
);
SELECT is(
    (SELECT count(*) FROM ratchet.runs), (SELECT b.n FROM before AS b),
    'no run was written'
);

SELECT * FROM finish();
ROLLBACK;
