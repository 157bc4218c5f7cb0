-- Registering again updates the workflow; a run keeps the version it began with.
BEGIN;
SELECT plan(5);

SELECT ratchet.create_queue('q');
SELECT ratchet.register_workflow('wf', '{"queue": "q", "version": "1"}');
SELECT lives_ok(
    $$SELECT ratchet.register_workflow('wf', '{"queue": "q", "version": "1"}')$$,
    'registering the same definition again is fine'
);
CREATE TEMP TABLE r1 AS SELECT ratchet.start('wf') AS id;
SELECT ratchet.register_workflow('wf', '{"queue": "q", "version": "2"}');
CREATE TEMP TABLE r2 AS SELECT ratchet.start('wf') AS id;

SELECT is(runs.version, '1', 'the old run keeps version 1')
FROM ratchet.runs INNER JOIN r1 ON runs.id = r1.id;
SELECT is(runs.version, '2', 'a new run gets version 2')
FROM ratchet.runs INNER JOIN r2 ON runs.id = r2.id;

CREATE TEMP TABLE w AS SELECT ratchet.register_worker('w1', ARRAY['q']) AS id;
CREATE TEMP TABLE c AS SELECT * FROM ratchet.claim((SELECT id FROM w), 10);
SELECT is(c.version, '1', 'claim hands out the old run as version 1')
FROM c INNER JOIN r1 ON c.run = r1.id;
SELECT is(c.version, '2', 'claim hands out the new run as version 2')
FROM c INNER JOIN r2 ON c.run = r2.id;

SELECT * FROM finish();
ROLLBACK;
