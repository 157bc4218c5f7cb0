-- start_child starts a queued run whose parent is the calling run.
BEGIN;
SELECT plan(6);

SELECT ratchet.create_queue('q');
SELECT ratchet.create_queue('q_kids');
SELECT ratchet.register_workflow('wf', '{"queue": "q"}');
SELECT ratchet.register_workflow('wf_kid', '{"queue": "q_kids"}');
CREATE TEMP TABLE w AS SELECT ratchet.register_worker('w1', ARRAY['q']) AS id;
CREATE TEMP TABLE r AS SELECT ratchet.start('wf') AS id;
CREATE TEMP TABLE c1 AS SELECT * FROM ratchet.claim((SELECT w.id FROM w));
ALTER TABLE r ADD COLUMN kid bigint, ADD COLUMN urgent_kid bigint;
UPDATE r SET
    kid = ratchet.start_child((SELECT c1.task FROM c1), 'kid', 'wf_kid', '{"n": 1}'),
    urgent_kid = ratchet.start_child(
        (SELECT c1.task FROM c1), 'urgent', 'wf_kid', '{}', '{"priority": -2}'
    );

SELECT
    ok(
        runs.parent = r.id AND runs.status = 'queued'
        AND runs.workflow = 'wf_kid' AND runs.input = '{"n": 1}',
        'a queued wf_kid run with the parent set and its input'
    )
FROM ratchet.runs INNER JOIN r ON runs.id = r.kid;
SELECT is(runs.queue, 'q_kids', 'on the child workflow''s queue')
FROM ratchet.runs INNER JOIN r ON runs.id = r.kid;
SELECT is(runs.priority::int, -2, 'start options apply to the child')
FROM ratchet.runs INNER JOIN r ON runs.id = r.urgent_kid;
SELECT is(runs.status, 'running', 'the parent keeps running')
FROM ratchet.runs INNER JOIN r ON runs.id = r.id;
SELECT ratchet.complete((SELECT c1.task FROM c1));
SELECT is(runs.status, 'queued', 'the child outlives a completed parent')
FROM ratchet.runs INNER JOIN r ON runs.id = r.kid;
SELECT is(
    (
        SELECT count(*) FROM ratchet.run_history((SELECT r.id FROM r)) AS h
        WHERE h.step IN ('kid', 'urgent')
    ),
    2::bigint,
    'the parent history names each child step once'
);

SELECT * FROM finish();
ROLLBACK;
