-- tick returns a JSON object of counts; with nothing to do they are 0.
BEGIN;
SELECT plan(3);

CREATE TEMP TABLE t AS SELECT ratchet.tick() AS result;

SELECT is(jsonb_typeof((SELECT t.result FROM t)), 'object', 'an object');
SELECT ok(
    (SELECT t.result ?& ARRAY['reclaimed', 'timed_out', 'woken', 'deadlines', 'purged'] FROM t),
    'with reclaimed, timed_out, woken, deadlines and purged'
);
SELECT is(
    (
        SELECT jsonb_object_agg(k.name, t.result -> k.name)
        FROM t
        CROSS JOIN
            unnest(ARRAY['reclaimed', 'timed_out', 'woken', 'deadlines', 'purged']) AS k (name)
    ),
    '{"reclaimed": 0, "timed_out": 0, "woken": 0, "deadlines": 0, "purged": 0}'::jsonb,
    'all zero when there is nothing to do'
);

SELECT * FROM finish();
ROLLBACK;
