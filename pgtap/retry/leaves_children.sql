-- retry leaves child runs as they are; start_child replays to the same child.
BEGIN;
SELECT plan(3);

SELECT ratchet.create_queue('q');
SELECT ratchet.register_workflow('wf', '{"queue": "q"}');
SELECT ratchet.register_workflow('wf_child', '{"queue": "q"}');
CREATE TEMP TABLE w AS SELECT ratchet.register_worker('w1', ARRAY['q']) AS id;
CREATE TEMP TABLE r AS SELECT ratchet.start('wf') AS id;
CREATE TEMP TABLE c1 AS SELECT * FROM ratchet.claim((SELECT w.id FROM w));
ALTER TABLE r ADD COLUMN child bigint;
UPDATE r SET child = ratchet.start_child(
    (SELECT c1.task FROM c1), 'kid', 'wf_child', '{"n": 1}'
);
CREATE TEMP TABLE cc AS SELECT * FROM ratchet.claim((SELECT w.id FROM w));
SELECT ratchet.complete((SELECT cc.task FROM cc), '{"kid": "done"}');
SELECT ratchet.fail((SELECT c1.task FROM c1), '{"e": 1}', NULL, FALSE);
SELECT ratchet.retry((SELECT r.id FROM r));

SELECT
    ok(
        runs.status = 'completed' AND runs.output = '{"kid": "done"}',
        'the child is untouched'
    )
FROM ratchet.runs INNER JOIN r ON runs.id = r.child;
CREATE TEMP TABLE c2 AS SELECT * FROM ratchet.claim((SELECT w.id FROM w));
SELECT is(
    ratchet.start_child((SELECT c2.task FROM c2), 'kid', 'wf_child', '{"n": 1}'),
    (SELECT r.child FROM r),
    'start_child on replay returns the same child'
);
SELECT is(
    (SELECT count(*) FROM ratchet.runs WHERE parent = (SELECT r.id FROM r)),
    1::bigint,
    'no second child'
);

SELECT * FROM finish();
ROLLBACK;
