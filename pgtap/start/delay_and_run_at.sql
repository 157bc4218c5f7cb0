-- delay and run_at hold a run back until it is due; a past run_at means now.
BEGIN;
SELECT plan(7);

SET LOCAL "ratchet.fake_now" = '2030-01-01 00:00:00+00';
SELECT ratchet.create_queue('q');
SELECT ratchet.register_workflow('wf', '{"queue": "q"}');
CREATE TEMP TABLE w AS SELECT ratchet.register_worker('w1', ARRAY['q']) AS id;
CREATE TEMP TABLE r AS
SELECT
    ratchet.start('wf', '{}', '{"delay": 60}') AS delay_seconds,
    ratchet.start('wf', '{}', '{"delay": "2 minutes"}') AS delay_text,
    ratchet.start(
        'wf', '{}', '{"run_at": "2030-01-01 00:03:00+00"}'
    ) AS run_at_future,
    ratchet.start(
        'wf', '{}', '{"run_at": "2029-01-01 00:00:00+00"}'
    ) AS run_at_past;

-- Claims what is due at the current fake time, completes it (so no lease
-- runs out later) and returns the runs claimed.
CREATE FUNCTION pg_temp.claim_runs(p_worker bigint)
RETURNS bigint[]
LANGUAGE plpgsql
AS $$
DECLARE
    c record;
    claimed bigint[] := '{}';
BEGIN
    FOR c IN SELECT * FROM ratchet.claim(p_worker, 10) LOOP
        PERFORM ratchet.complete(c.task);
        claimed := claimed || c.run;
    END LOOP;
    RETURN (SELECT coalesce(array_agg(x ORDER BY x), '{}') FROM unnest(claimed) AS x);
END;
$$;

SELECT is(
    pg_temp.claim_runs((SELECT w.id FROM w)), ARRAY[(SELECT r.run_at_past FROM r)],
    'a past run_at is claimable at once, alone'
);

SET LOCAL "ratchet.fake_now" = '2030-01-01 00:00:59+00';
SELECT is(
    pg_temp.claim_runs((SELECT w.id FROM w)), '{}'::bigint[],
    'delay 60 is not due at 0:59'
);
SET LOCAL "ratchet.fake_now" = '2030-01-01 00:01:00+00';
SELECT is(
    pg_temp.claim_runs((SELECT w.id FROM w)), ARRAY[(SELECT r.delay_seconds FROM r)],
    'delay 60 is due after 60 seconds'
);
SET LOCAL "ratchet.fake_now" = '2030-01-01 00:01:59+00';
SELECT is(
    pg_temp.claim_runs((SELECT w.id FROM w)), '{}'::bigint[],
    'delay "2 minutes" is not due at 1:59'
);
SET LOCAL "ratchet.fake_now" = '2030-01-01 00:02:00+00';
SELECT is(
    pg_temp.claim_runs((SELECT w.id FROM w)), ARRAY[(SELECT r.delay_text FROM r)],
    'delay "2 minutes" is due at 2:00'
);
SET LOCAL "ratchet.fake_now" = '2030-01-01 00:02:59+00';
SELECT is(
    pg_temp.claim_runs((SELECT w.id FROM w)), '{}'::bigint[],
    'run_at 00:03 is not due at 02:59'
);
SET LOCAL "ratchet.fake_now" = '2030-01-01 00:03:00+00';
SELECT is(
    pg_temp.claim_runs((SELECT w.id FROM w)), ARRAY[(SELECT r.run_at_future FROM r)],
    'run_at 00:03 is due at 03:00'
);

SELECT * FROM finish();
ROLLBACK;
