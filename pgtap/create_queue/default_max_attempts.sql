-- Default max_attempts is 5, the first attempt included.
BEGIN;
SELECT plan(2);

SET LOCAL "ratchet.fake_now" = '2030-01-01 00:00:00+00';
SELECT ratchet.create_queue('q');
SELECT ratchet.register_workflow('wf', '{"queue": "q"}');
CREATE TEMP TABLE w AS SELECT ratchet.register_worker('w1', ARRAY['q']) AS id;
CREATE TEMP TABLE r AS SELECT ratchet.start('wf') AS id;

-- Claim and fail until the run gives up; returns the attempts it took.
CREATE FUNCTION pg_temp.attempts_until_failed(p_worker bigint)
RETURNS int
LANGUAGE plpgsql
AS $$
DECLARE
    n int := 0;
    t bigint;
BEGIN
    LOOP
        PERFORM set_config(
            'ratchet.fake_now', (ratchet.now() + interval '1 hour')::text, true
        );
        SELECT task INTO t FROM ratchet.claim(p_worker);
        IF t IS NULL OR n >= 20 THEN
            RETURN -n;
        END IF;
        n := n + 1;
        IF ratchet.fail(t, '{"boom": 1}') = 'failed' THEN
            RETURN n;
        END IF;
    END LOOP;
END;
$$;

SELECT is(
    pg_temp.attempts_until_failed((SELECT id FROM w)), 5,
    'the run fails for good on its fifth attempt'
);
SELECT is(runs.status, 'failed', 'the run is failed')
FROM ratchet.runs INNER JOIN r ON runs.id = r.id;

SELECT * FROM finish();
ROLLBACK;
