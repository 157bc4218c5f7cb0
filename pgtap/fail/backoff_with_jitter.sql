-- The n-th retry waits initial * factor^(n-1), capped at max, +/- jitter.
BEGIN;
SELECT plan(7);

SET LOCAL "ratchet.fake_now" = '2030-01-01 00:00:00+00';
SELECT ratchet.create_queue(
    'q',
    '{"max_attempts": 10, "backoff": {"initial": "10 seconds", "factor": 2,
      "max": "25 seconds", "jitter": 0.2}}'
);
SELECT ratchet.register_workflow('wf', '{"queue": "q"}');
CREATE TEMP TABLE w AS SELECT ratchet.register_worker('w1', ARRAY['q']) AS id;
SELECT ratchet.start('wf') FROM generate_series(1, 20);

-- Claims everything due, fails it; returns how many were failed.
CREATE FUNCTION pg_temp.claim_and_fail(p_worker bigint)
RETURNS int
LANGUAGE plpgsql
AS $$
DECLARE
    n int := 0;
    c record;
BEGIN
    FOR c IN SELECT * FROM ratchet.claim(p_worker, 100) LOOP
        PERFORM ratchet.fail(c.task, '{"boom": 1}');
        n := n + 1;
    END LOOP;
    RETURN n;
END;
$$;

-- Claims everything due, completes nothing (the tasks are failed later).
CREATE FUNCTION pg_temp.due(p_worker bigint)
RETURNS int
LANGUAGE sql
AS $$
    SELECT count(*)::int FROM ratchet.claim(p_worker, 100);
$$;

-- Failure 1 at T: every run is due within [T+8 s, T+12 s].
SELECT is(pg_temp.claim_and_fail((SELECT w.id FROM w)), 20, '20 runs fail');
SET LOCAL "ratchet.fake_now" = '2030-01-01 00:00:07.99+00';
SELECT is(pg_temp.due((SELECT w.id FROM w)), 0, 'none before 8 s');
-- Failure 2 at T+12: 20 s +/- 20 %, due within [T+28 s, T+36 s].
SET LOCAL "ratchet.fake_now" = '2030-01-01 00:00:12+00';
SELECT is(
    pg_temp.claim_and_fail((SELECT w.id FROM w)), 20, 'all 20 due by 12 s'
);
SET LOCAL "ratchet.fake_now" = '2030-01-01 00:00:27.99+00';
SELECT is(pg_temp.due((SELECT w.id FROM w)), 0, 'none before 16 s more');
-- Failure 3 at T+36: 40 s capped at 25 s +/- 20 %: [T+56 s, T+66 s].
SET LOCAL "ratchet.fake_now" = '2030-01-01 00:00:36+00';
SELECT is(
    pg_temp.claim_and_fail((SELECT w.id FROM w)), 20,
    'all 20 due by 24 s more'
);
SET LOCAL "ratchet.fake_now" = '2030-01-01 00:00:55.99+00';
SELECT is(pg_temp.due((SELECT w.id FROM w)), 0, 'capped: none before 20 s more');
-- The spread is real: 20 draws are very unlikely to fall on one side of 25 s.
SET LOCAL "ratchet.fake_now" = '2030-01-01 00:01:01+00';
SELECT ok(
    pg_temp.due((SELECT w.id FROM w)) BETWEEN 1 AND 19,
    'jitter spreads the retries around 25 s'
);

SELECT * FROM finish();
ROLLBACK;
