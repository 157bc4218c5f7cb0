-- Defect D9: a run a waiter awaits is not purged before the waiter has read
-- its outcome, whether it finished before the await or while the run waited.
BEGIN;
SELECT plan(7);

SET LOCAL "ratchet.fake_now" = '2030-01-01 00:00:00+00';
SELECT ratchet.create_queue('q', '{"retention": "1 second", "lease": "1 day"}');
SELECT ratchet.register_workflow('wf', '{"queue": "q"}');
CREATE TEMP TABLE w AS SELECT ratchet.register_worker('w1', ARRAY['q']) AS id;
CREATE TEMP TABLE r AS SELECT ratchet.start('wf') AS parent;
CREATE TEMP TABLE cp AS SELECT * FROM ratchet.claim((SELECT w.id FROM w));
ALTER TABLE r
ADD COLUMN early bigint,
ADD COLUMN middle bigint,
ADD COLUMN late bigint;
UPDATE r SET
    early = ratchet.start_child((SELECT cp.task FROM cp), 'c1', 'wf', '{}'),
    middle = ratchet.start_child((SELECT cp.task FROM cp), 'c2', 'wf', '{}'),
    late = ratchet.start_child((SELECT cp.task FROM cp), 'c3', 'wf', '{}');
CREATE TEMP TABLE cc AS SELECT * FROM ratchet.claim((SELECT w.id FROM w), 10);

-- One child finishes before the parent awaits, one while it waits.
SELECT ratchet.complete((SELECT cc.task FROM cc INNER JOIN r ON cc.run = r.early), '{"v": 1}');
SELECT ratchet.await_runs(
    (SELECT cp.task FROM cp), 'join', (SELECT ARRAY[r.early, r.middle, r.late] FROM r)
);
SELECT ratchet.complete((SELECT cc.task FROM cc INNER JOIN r ON cc.run = r.middle), '{"v": 2}');

SET LOCAL "ratchet.fake_now" = '2030-01-01 01:00:00+00';
SELECT is(
    (ratchet.tick() ->> 'purged')::int, 0, 'finished children past retention are kept while awaited'
);
SELECT ratchet.complete((SELECT cc.task FROM cc INNER JOIN r ON cc.run = r.late), '{"v": 3}');

CREATE TEMP TABLE cw AS SELECT * FROM ratchet.claim((SELECT w.id FROM w));
SELECT is((SELECT cw.run FROM cw), (SELECT r.parent FROM r), 'the parent is woken');
SELECT is(
    (SELECT jsonb_path_query_array(cw.checkpoints -> 'join', '$[*].status') FROM cw),
    '["completed", "completed", "completed"]'::jsonb,
    'every outcome is there'
);
SELECT is(
    (SELECT jsonb_path_query_array(cw.checkpoints -> 'join', '$[*].output.v') FROM cw),
    '[1, 2, 3]'::jsonb,
    'with every output'
);
SELECT is(
    (
        SELECT count(*) FROM ratchet.run_history((SELECT r.parent FROM r)) AS h
        WHERE h.kind = 'woken'
    ),
    1::bigint,
    'woken once'
);
SELECT is(
    (SELECT count(*) FROM ratchet.run_waits), 0::bigint, 'its wait rows go when it resumes'
);

SET LOCAL "ratchet.fake_now" = '2030-01-01 02:00:00+00';
SELECT is((ratchet.tick() ->> 'purged')::int, 3, 'then the children are purged');

SELECT * FROM finish();
ROLLBACK;
