-- A closed slice whose runs have all finished is scanned once: tick stores
-- when the last of them leaves its retention (slices.expires_at) and does not
-- read the slice again before then. retry forgets it (the run ends again
-- later), so the slice is neither dropped on the old expiry nor before the
-- retried run's own retention has passed.
BEGIN;
SELECT plan(9);

SET LOCAL "ratchet.fake_now" = '2031-01-01 00:00:00+00';
SELECT ratchet.create_queue('q', '{"retention": "1 hour", "max_attempts": 1}');
SELECT ratchet.register_workflow('wf', '{"queue": "q"}');
CREATE TEMP TABLE w AS SELECT ratchet.register_worker('w1', ARRAY['q']) AS id;
SELECT ratchet.start('wf', jsonb_build_object('k', k)) FROM unnest(ARRAY['a', 'b', 'c']) AS k;
CREATE TEMP TABLE c AS
SELECT
    x.*,
    x.input ->> 'k' AS k
FROM ratchet.claim((SELECT w.id FROM w), 3) AS x;
SELECT ratchet.complete((SELECT c.task FROM c WHERE c.k = 'a'));
SELECT ratchet.fail((SELECT c.task FROM c WHERE c.k = 'b'), '{"e": 1}');
SELECT ratchet.complete((SELECT c.task FROM c WHERE c.k = 'c'));
CREATE TEMP TABLE s AS
SELECT
    s.slice,
    format('ratchet.runs_s%s', s.slice)::regclass AS part
FROM ratchet.slices AS s
WHERE
    s.lo <= (SELECT c.run FROM c WHERE c.k = 'a') AND (SELECT c.run FROM c WHERE c.k = 'a') < s.hi;
SELECT ratchet.tick();

SET LOCAL "ratchet.fake_now" = '2031-01-01 00:10:00+00';
SELECT ratchet.tick();
SELECT is(
    (SELECT x.expires_at FROM ratchet.slices AS x WHERE x.slice = (SELECT s.slice FROM s)),
    '2031-01-01 01:00:00+00'::timestamptz,
    'the closed slice''s expiry: its last run''s end plus the queue''s retention'
);

SET LOCAL "ratchet.fake_now" = '2031-01-01 00:20:00+00';
-- Tick's retention pass alone: with a handful of rows the planner may read
-- a partition whole for tick's other statements.
CREATE TEMP TABLE n AS SELECT pg_stat_get_xact_numscans((SELECT s.part FROM s)) AS scans;
SELECT ratchet._retire_slices(ratchet.now());
SELECT is(
    pg_stat_get_xact_numscans((SELECT s.part FROM s)), (SELECT n.scans FROM n),
    'a later retention pass does not scan the slice again'
);

SET LOCAL "ratchet.fake_now" = '2031-01-01 00:30:00+00';
SELECT ratchet.retry((SELECT c.run FROM c WHERE c.k = 'b'));
SELECT is(
    (
        SELECT ARRAY[x.expires_at, x.recheck_at] FROM ratchet.slices AS x
        WHERE x.slice = (SELECT s.slice FROM s)
    ),
    ARRAY[null, null]::timestamptz[],
    'retry forgets the expiry of the retried run''s slice'
);
SET LOCAL "ratchet.fake_now" = '2031-01-01 00:40:00+00';
CREATE TEMP TABLE c2 AS SELECT * FROM ratchet.claim((SELECT w.id FROM w));
SELECT ratchet.complete((SELECT c2.task FROM c2));

SET LOCAL "ratchet.fake_now" = '2031-01-01 00:50:00+00';
SELECT ratchet.tick();
SELECT is(
    (SELECT x.expires_at FROM ratchet.slices AS x WHERE x.slice = (SELECT s.slice FROM s)),
    '2031-01-01 01:40:00+00'::timestamptz,
    'the next tick finds the new one'
);

SET LOCAL "ratchet.fake_now" = '2031-01-01 01:05:00+00';
SELECT is(
    (ratchet.tick() ->> 'purged')::int, 2,
    'past the old expiry only the two runs that ended before the retry leave'
);
SELECT is(
    (SELECT x.status FROM ratchet.runs AS x WHERE x.id = (SELECT c2.run FROM c2)), 'completed',
    'the retried run stays'
);

SET LOCAL "ratchet.fake_now" = '2031-01-01 01:41:00+00';
SELECT is((ratchet.tick() ->> 'purged')::int, 1, 'then it leaves after its own retention');
SELECT is(
    (SELECT count(*) FROM ratchet.slices AS x WHERE x.slice = (SELECT s.slice FROM s)), 0::bigint,
    'with the slice'
);
SELECT is_empty('SELECT * FROM ratchet.check_invariants()', 'the invariants hold');

SELECT * FROM finish();
ROLLBACK;
