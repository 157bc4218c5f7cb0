-- tick opens a new slice of run ids once the open one is older than the
-- slice interval (a quarter of the longest retention, at least a minute) and
-- holds a run, or once half its ids are used; new runs get its ids at once.
BEGIN;
SELECT plan(13);

SET LOCAL "ratchet.fake_now" = '2031-01-01 00:00:00+00';
SELECT ratchet.create_queue('q', '{"retention": "8 hours"}');
SELECT ratchet.register_workflow('wf', '{"queue": "q"}');
SELECT is(
    ratchet._slice_interval(), interval '42 hours',
    'the interval is a quarter of the longest retention (the default queue''s 7 days)'
);
-- Whatever slice is open (opened before this clock), it holds a run now.
CREATE TEMP TABLE s0 AS SELECT s.* FROM ratchet.slices AS s ORDER BY s.slice DESC LIMIT 1;
SELECT ratchet.start('wf');
SELECT ratchet.tick();
CREATE TEMP TABLE s1 AS SELECT s.* FROM ratchet.slices AS s ORDER BY s.slice DESC LIMIT 1;
SELECT is((SELECT s1.slice FROM s1), (SELECT s0.slice + 1 FROM s0), 'tick opened the next slice');
SELECT is(
    ratchet.start('wf'), (SELECT s1.lo FROM s1), 'the next run gets the first id of the new slice'
);
SELECT is(
    (
        SELECT array_agg(c.relname::text ORDER BY c.relname)
        FROM pg_inherits AS i
        INNER JOIN pg_class AS c ON i.inhrelid = c.oid
        WHERE c.relname::text LIKE '%\_s' || (SELECT s1.slice FROM s1)
    ),
    (
        SELECT
            ARRAY[
                'events_s' || s1.slice, 'history_s' || s1.slice,
                'runs_s' || s1.slice, 'steps_s' || s1.slice
            ]
        FROM s1
    ),
    'with its partitions of runs, history, steps and events'
);

SET LOCAL "ratchet.fake_now" = '2031-01-02 17:59:00+00';
SELECT ratchet.tick();
SELECT is(
    (SELECT max(s.slice) FROM ratchet.slices AS s), (SELECT s1.slice FROM s1),
    'not before the interval has passed'
);
SET LOCAL "ratchet.fake_now" = '2031-01-02 18:00:00+00';
SELECT ratchet.tick();
SELECT is(
    (SELECT max(s.slice) FROM ratchet.slices AS s), (SELECT s1.slice + 1 FROM s1),
    'then the next one opens'
);
SET LOCAL "ratchet.fake_now" = '2031-01-09 00:00:00+00';
SELECT ratchet.tick();
SELECT is(
    (SELECT max(s.slice) FROM ratchet.slices AS s), (SELECT s1.slice + 1 FROM s1),
    'an open slice without runs stays open'
);

SELECT is(
    (SELECT s.hi - s.lo FROM ratchet.slices AS s ORDER BY s.slice DESC LIMIT 1),
    268435456::bigint,
    'a slice holds 2^28 run ids'
);
SELECT is(
    (SELECT s.lo FROM ratchet.slices AS s WHERE s.slice = (SELECT s1.slice + 1 FROM s1)),
    (SELECT s1.hi FROM s1),
    'from where the previous one ends'
);

-- Half the ids of the open slice given out: it closes before the interval.
SET LOCAL "ratchet.fake_now" = '2031-01-02 18:01:00+00';
CREATE TEMP TABLE s2 AS SELECT s.* FROM ratchet.slices AS s ORDER BY s.slice DESC LIMIT 1;
SELECT ratchet.start('wf');
SELECT setval('ratchet.runs_id_seq', (SELECT s2.lo + 134217726 FROM s2));
SELECT ratchet.tick();
SELECT is(
    (SELECT max(s.slice) FROM ratchet.slices AS s), (SELECT s2.slice FROM s2),
    'one id short of half the slice, it stays open'
);
SELECT ratchet.start('wf');
SELECT ratchet.tick();
SELECT is(
    (SELECT max(s.slice) FROM ratchet.slices AS s), (SELECT s2.slice + 1 FROM s2),
    'with half its ids given out, the next slice opens within the interval'
);

SELECT ratchet.create_queue('default', '{"retention": "0"}');
SELECT ratchet.create_queue('q', '{"retention": "0"}');
SELECT is(ratchet._slice_interval(), interval '1 minute', 'the interval is at least a minute');

SELECT is_empty('SELECT * FROM ratchet.check_invariants()', 'the invariants hold');

SELECT * FROM finish();
ROLLBACK;
