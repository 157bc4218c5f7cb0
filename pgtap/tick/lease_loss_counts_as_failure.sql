-- A lost lease is a failure of the body: a run that always loses it fails.
BEGIN;
SELECT plan(4);

SET LOCAL "ratchet.fake_now" = '2030-01-01 00:00:00+00';
SELECT ratchet.create_queue(
    'q',
    '{"lease": "10 seconds", "max_attempts": 3,
      "backoff": {"initial": 1, "jitter": 0}}'
);
SELECT ratchet.register_workflow('wf', '{"queue": "q"}');
CREATE TEMP TABLE w AS SELECT ratchet.register_worker('w1', ARRAY['q']) AS id;
CREATE TEMP TABLE r AS SELECT ratchet.start('wf') AS id;

-- Claims the run, lets the lease run out, ticks; returns the claims made.
CREATE FUNCTION pg_temp.crash_until_done(p_worker bigint)
RETURNS int
LANGUAGE plpgsql
AS $$
DECLARE
    n int := 0;
BEGIN
    LOOP
        PERFORM set_config(
            'ratchet.fake_now', (ratchet.now() + interval '1 minute')::text, true
        );
        PERFORM ratchet.tick();
        -- past the 1 s backoff of the retry the tick scheduled
        PERFORM set_config(
            'ratchet.fake_now', (ratchet.now() + interval '1 minute')::text, true
        );
        IF NOT EXISTS (SELECT 1 FROM ratchet.claim(p_worker)) OR n >= 10 THEN
            RETURN n;
        END IF;
        n := n + 1;
    END LOOP;
END;
$$;

SELECT is(
    pg_temp.crash_until_done((SELECT w.id FROM w)), 3,
    'three attempts, each lost'
);
SELECT is(runs.status, 'failed', 'the run failed')
FROM ratchet.runs INNER JOIN r ON runs.id = r.id;
SELECT ok(runs.error @> '{"lease_expired": true}', 'error says lease_expired')
FROM ratchet.runs INNER JOIN r ON runs.id = r.id;
SELECT is(
    (
        SELECT count(*) FROM ratchet.run_history((SELECT r.id FROM r)) AS h
        WHERE h.kind = 'lease_expired'
    ),
    3::bigint,
    'three lease_expired entries'
);

SELECT * FROM finish();
ROLLBACK;
