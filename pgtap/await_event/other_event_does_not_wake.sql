-- A signal for another event name does not wake a waiting run.
BEGIN;
SELECT plan(3);

SELECT ratchet.create_queue('q');
SELECT ratchet.register_workflow('wf', '{"queue": "q"}');
CREATE TEMP TABLE w AS SELECT ratchet.register_worker('w1', ARRAY['q']) AS id;
CREATE TEMP TABLE r AS SELECT ratchet.start('wf') AS id;
CREATE TEMP TABLE c1 AS SELECT * FROM ratchet.claim((SELECT w.id FROM w));
SELECT ratchet.await_event((SELECT c1.task FROM c1), 'approval', 'approved');
SELECT ratchet.signal((SELECT r.id FROM r), 'rejected', '{"why": "no"}');

SELECT is(runs.status, 'waiting', 'still waiting')
FROM ratchet.runs INNER JOIN r ON runs.id = r.id;
SELECT is(
    (SELECT count(*) FROM ratchet.claim((SELECT w.id FROM w), 10)), 0::bigint,
    'not claimable'
);
SELECT ratchet.signal((SELECT r.id FROM r), 'approved');
SELECT is(
    (SELECT c2.checkpoints -> 'approval' FROM ratchet.claim((SELECT w.id FROM w)) AS c2),
    '{"payload": null}'::jsonb,
    'the right event wakes it, a missing payload recorded as null'
);

SELECT * FROM finish();
ROLLBACK;
