-- A closed slice whose runs are all finished and past their queue's
-- retention leaves in one DROP: its partitions of runs, history, steps and
-- events, its row, and the fence records of its runs. Not a moment before.
BEGIN;
SELECT plan(9);

SET LOCAL "ratchet.fake_now" = '2031-01-01 00:00:00+00';
SELECT ratchet.create_queue('q', '{"retention": "1 hour"}');
SELECT ratchet.register_workflow('wf', '{"queue": "q"}');
CREATE TEMP TABLE w AS SELECT ratchet.register_worker('w1', ARRAY['q']) AS id;
CREATE TEMP TABLE r AS
SELECT
    ratchet.start('wf') AS done,
    ratchet.start('wf') AS signalled,
    ratchet.start('wf') AS fenced;
SELECT ratchet.signal((SELECT r.signalled FROM r), 'e', '{}');
SELECT ratchet.cancel((SELECT r.signalled FROM r));
CREATE TEMP TABLE c AS SELECT * FROM ratchet.claim((SELECT w.id FROM w), 10);
SELECT ratchet.checkpoint((SELECT c.task FROM c INNER JOIN r ON c.run = r.done), 's', '1');
SELECT ratchet.complete((SELECT c.task FROM c INNER JOIN r ON c.run = r.done));
SELECT ratchet.cancel((SELECT r.fenced FROM r));
CREATE TEMP TABLE s AS
SELECT
    s.slice,
    'runs_s' || s.slice AS runs,
    'history_s' || s.slice AS history,
    'steps_s' || s.slice AS steps,
    'events_s' || s.slice AS events
FROM ratchet.slices AS s
WHERE s.lo <= (SELECT r.done FROM r) AND (SELECT r.done FROM r) < s.hi;
SELECT is(
    (SELECT count(*) FROM ratchet.fenced_tasks WHERE run_id = (SELECT r.fenced FROM r)), 1::bigint,
    'the cancelled running run has a fence record'
);

SELECT is((ratchet.tick() ->> 'purged')::int, 0, 'nothing leaves the open slice');
SELECT isnt(
    (SELECT max(x.slice) FROM ratchet.slices AS x), (SELECT s.slice FROM s),
    'the slice is closed'
);
SET LOCAL "ratchet.fake_now" = '2031-01-01 00:59:00+00';
SELECT is((ratchet.tick() ->> 'purged')::int, 0, 'nothing within retention');

SET LOCAL "ratchet.fake_now" = '2031-01-01 01:00:01+00';
SELECT is((ratchet.tick() ->> 'purged')::int, 3, 'then the whole slice leaves');
SELECT is(
    (
        SELECT
            ARRAY[
                to_regclass('ratchet.' || s.runs), to_regclass('ratchet.' || s.history),
                to_regclass('ratchet.' || s.steps), to_regclass('ratchet.' || s.events)
            ]
        FROM s
    ),
    ARRAY[null, null, null, null]::regclass[],
    'its four partitions are dropped'
);
SELECT is(
    (SELECT count(*) FROM ratchet.slices AS x WHERE x.slice = (SELECT s.slice FROM s)), 0::bigint,
    'and its row'
);
SELECT is(
    (SELECT count(*) FROM ratchet.fenced_tasks WHERE run_id = (SELECT r.fenced FROM r)), 0::bigint,
    'and the fence records of its runs'
);
SELECT is_empty('SELECT * FROM ratchet.check_invariants()', 'the invariants hold');

SELECT * FROM finish();
ROLLBACK;
