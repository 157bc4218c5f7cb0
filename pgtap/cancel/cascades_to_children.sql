-- cancel cascades to live child runs, grandchildren included.
BEGIN;
SELECT plan(5);

SELECT ratchet.create_queue('q');
SELECT ratchet.register_workflow('wf', '{"queue": "q"}');
CREATE TEMP TABLE w AS SELECT ratchet.register_worker('w1', ARRAY['q']) AS id;
CREATE TEMP TABLE r AS SELECT ratchet.start('wf') AS parent;
CREATE TEMP TABLE cp AS SELECT * FROM ratchet.claim((SELECT w.id FROM w));
ALTER TABLE r ADD COLUMN child_live bigint, ADD COLUMN child_done bigint;
UPDATE r SET
    child_live = ratchet.start_child((SELECT cp.task FROM cp), 'c1', 'wf', '{}'),
    child_done = ratchet.start_child((SELECT cp.task FROM cp), 'c2', 'wf', '{}');

-- The finished child completes; the live one starts a grandchild.
CREATE TEMP TABLE cc AS SELECT * FROM ratchet.claim((SELECT w.id FROM w), 10);
SELECT ratchet.complete((SELECT cc.task FROM cc INNER JOIN r ON cc.run = r.child_done));
ALTER TABLE r ADD COLUMN grandchild bigint;
UPDATE r SET grandchild = ratchet.start_child(
    (SELECT cc.task FROM cc INNER JOIN r AS r2 ON cc.run = r2.child_live),
    'g1', 'wf', '{}'
);

SELECT is(ratchet.cancel((SELECT r.parent FROM r)), TRUE, 'parent cancelled');
SELECT is(runs.status, 'cancelled', 'the live child is cancelled')
FROM ratchet.runs INNER JOIN r ON runs.id = r.child_live;
SELECT is(runs.status, 'cancelled', 'the grandchild is cancelled')
FROM ratchet.runs INNER JOIN r ON runs.id = r.grandchild;
SELECT is(runs.status, 'completed', 'the finished child stays completed')
FROM ratchet.runs INNER JOIN r ON runs.id = r.child_done;
SELECT throws_ok(
    $$SELECT ratchet.checkpoint(
        (SELECT cc.task FROM cc INNER JOIN r ON cc.run = r.child_live), 's', '1'
    )$$,
    'RT002', NULL, 'the worker running the child finds out'
);

SELECT * FROM finish();
ROLLBACK;
