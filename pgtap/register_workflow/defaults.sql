-- A workflow registered without options: queue default, version 1.
BEGIN;
SELECT plan(3);

SELECT lives_ok($$SELECT ratchet.register_workflow('wf')$$, 'registers');
CREATE TEMP TABLE r AS SELECT ratchet.start('wf') AS id;

SELECT is(runs.queue, 'default', 'runs on the default queue')
FROM ratchet.runs INNER JOIN r ON runs.id = r.id;
SELECT is(runs.version, '1', 'version defaults to 1')
FROM ratchet.runs INNER JOIN r ON runs.id = r.id;

SELECT * FROM finish();
ROLLBACK;
