-- A closed slice that still keeps a few runs (unfinished, or within a longer
-- retention) is compacted: the others leave, the kept ones stay with their
-- ids, history, checkpoints and buffered events, and carry on. The slice
-- leaves once they are done too.
BEGIN;
SELECT plan(11);

SET LOCAL "ratchet.fake_now" = '2031-01-01 00:00:00+00';
SELECT ratchet.create_queue('short', '{"retention": "1 hour"}');
SELECT ratchet.create_queue('long', '{"retention": "30 days"}');
SELECT ratchet.register_workflow('wf', '{"queue": "short"}');
SELECT ratchet.register_workflow('audit', '{"queue": "long"}');
CREATE TEMP TABLE w AS SELECT ratchet.register_worker('w1', ARRAY['short']) AS id;
CREATE TEMP TABLE r AS
SELECT
    ratchet.start('wf') AS sleeper,
    ratchet.start('audit') AS audited;
CREATE TEMP TABLE gone AS
SELECT ratchet.start('wf', jsonb_build_object('n', g)) AS id FROM generate_series(1, 4) AS g;
SELECT ratchet.cancel(g.id) FROM gone AS g;
SELECT ratchet.cancel((SELECT r.audited FROM r));
CREATE TEMP TABLE c AS SELECT * FROM ratchet.claim((SELECT w.id FROM w));
SELECT ratchet.checkpoint((SELECT c.task FROM c), 'first', '{"v": 1}');
SELECT ratchet.sleep((SELECT c.task FROM c), 'nap', '2031-01-03 00:00:00+00');
SELECT ratchet.signal((SELECT r.sleeper FROM r), 'e', '{"p": 1}');
CREATE TEMP TABLE kept AS
SELECT
    (SELECT count(*) FROM ratchet.history AS h WHERE h.run_id IN (r.sleeper, r.audited)) AS history,
    (SELECT count(*) FROM ratchet.steps AS st WHERE st.run_id = r.sleeper) AS steps,
    (SELECT count(*) FROM ratchet.events AS e WHERE e.run_id = r.sleeper) AS events
FROM r;
CREATE TEMP TABLE s AS
SELECT s.slice FROM ratchet.slices AS s
WHERE s.lo <= (SELECT r.sleeper FROM r) AND (SELECT r.sleeper FROM r) < s.hi;

SELECT ratchet.tick();
SET LOCAL "ratchet.fake_now" = '2031-01-01 02:00:00+00';
SELECT is((ratchet.tick() ->> 'purged')::int, 4, 'the four runs past retention leave');
SELECT is(
    (SELECT count(*) FROM ratchet.runs WHERE id IN (SELECT g.id FROM gone AS g)), 0::bigint,
    'they are gone'
);
SELECT is(
    (SELECT count(*) FROM ratchet.history WHERE run_id IN (SELECT g.id FROM gone AS g)), 0::bigint,
    'with their history'
);
SELECT is(
    (
        SELECT array_agg(
            x.id ORDER BY x.id) FROM ratchet.runs AS x WHERE x.id IN (
            SELECT r.sleeper FROM r
            UNION ALL
            SELECT r.audited FROM r
        )
    ),
    (SELECT ARRAY[r.sleeper, r.audited] FROM r),
    'the sleeping run and the run within its 30 days stay, with their ids'
);
SELECT is(
    (
        SELECT row(k.history, k.steps, k.events)::text FROM kept AS k
    ),
    (
        SELECT
            row(
                (
                    SELECT count(*) FROM ratchet.history AS h
                    WHERE h.run_id IN (r.sleeper, r.audited)
                ),
                (SELECT count(*) FROM ratchet.steps AS st WHERE st.run_id = r.sleeper),
                (SELECT count(*) FROM ratchet.events AS e WHERE e.run_id = r.sleeper)
            )::text
        FROM r
    ),
    'with their history, checkpoints and buffered event'
);
SELECT is(
    (SELECT count(*) FROM ratchet.slices AS x WHERE x.slice = (SELECT s.slice FROM s)), 1::bigint,
    'in the same slice'
);
SELECT is_empty('SELECT * FROM ratchet.check_invariants()', 'the invariants hold');

SET LOCAL "ratchet.fake_now" = '2031-01-03 00:00:00+00';
CREATE TEMP TABLE c2 AS SELECT * FROM ratchet.claim((SELECT w.id FROM w));
SELECT is(
    (SELECT c2.checkpoints -> 'first' FROM c2), '{"v": 1}'::jsonb,
    'the sleeper wakes with its checkpoint'
);
SELECT is(
    ratchet.await_event((SELECT c2.task FROM c2), 'wait', 'e'), '{"payload": {"p": 1}}'::jsonb,
    'and reads the event buffered before the compaction'
);
SELECT ratchet.complete((SELECT c2.task FROM c2));

SET LOCAL "ratchet.fake_now" = '2031-01-31 00:00:01+00';
SELECT is((ratchet.tick() ->> 'purged')::int, 2, 'once both are past retention, the rest leaves');
SELECT is(
    (SELECT count(*) FROM ratchet.slices AS x WHERE x.slice = (SELECT s.slice FROM s)), 0::bigint,
    'with the slice'
);

SELECT * FROM finish();
ROLLBACK;
