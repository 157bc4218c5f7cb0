-- A paused queue still accepts starts; they wait until it is resumed.
BEGIN;
SELECT plan(4);

SELECT ratchet.create_queue('q', '{"paused": true}');
SELECT ratchet.register_workflow('wf', '{"queue": "q"}');
CREATE TEMP TABLE r AS SELECT ratchet.start('wf') AS id;
CREATE TEMP TABLE w AS SELECT ratchet.register_worker('w1', ARRAY['q']) AS id;

SELECT is(runs.status, 'queued', 'the run is queued')
FROM ratchet.runs INNER JOIN r ON runs.id = r.id;
SELECT is(
    (SELECT count(*) FROM ratchet.claim((SELECT w.id FROM w), 10)), 0::bigint,
    'nothing is claimed from a paused queue'
);
SELECT ratchet.create_queue('q', '{"paused": false}');
CREATE TEMP TABLE c AS SELECT * FROM ratchet.claim((SELECT w.id FROM w), 10);
SELECT is(
    (SELECT c.run FROM c), (SELECT r.id FROM r), 'claimed once resumed'
);
SELECT is(runs.status, 'running', 'and running')
FROM ratchet.runs INNER JOIN r ON runs.id = r.id;

SELECT * FROM finish();
ROLLBACK;
