-- fail's max_attempts overrides the attempt limit for this failure.
BEGIN;
SELECT plan(4);

SET LOCAL "ratchet.fake_now" = '2030-01-01 00:00:00+00';
SELECT ratchet.create_queue(
    'q', '{"max_attempts": 5, "backoff": {"initial": 1, "jitter": 0}}'
);
SELECT ratchet.register_workflow('wf', '{"queue": "q"}');
SELECT ratchet.register_workflow('wf_two', '{"queue": "q", "max_attempts": 2}');
CREATE TEMP TABLE w AS SELECT ratchet.register_worker('w1', ARRAY['q']) AS id;

-- Starts a run of p_wf and fails it in step s with the given max_attempts
-- until it stops retrying; returns the failures it took.
CREATE FUNCTION pg_temp.failures(p_worker bigint, p_wf text, p_max int)
RETURNS int
LANGUAGE plpgsql
AS $$
DECLARE
    n int := 0;
    r bigint := ratchet.start(p_wf);
    t bigint;
BEGIN
    LOOP
        PERFORM set_config(
            'ratchet.fake_now', (ratchet.now() + interval '1 hour')::text, true
        );
        SELECT task INTO t FROM ratchet.claim(p_worker) WHERE run = r;
        IF t IS NULL OR n >= 20 THEN
            RETURN -n;
        END IF;
        n := n + 1;
        IF ratchet.fail(t, '{"boom": 1}', 's', true, p_max) = 'failed' THEN
            RETURN n;
        END IF;
    END LOOP;
END;
$$;

SELECT is(
    pg_temp.failures((SELECT w.id FROM w), 'wf', 1), 1,
    'max_attempts 1 fails at once under a queue limit of 5'
);
SELECT is(
    pg_temp.failures((SELECT w.id FROM w), 'wf', 3), 3,
    'max_attempts 3: three failures'
);
SELECT is(
    pg_temp.failures((SELECT w.id FROM w), 'wf_two', 4), 4,
    'the argument also overrides a lower workflow limit'
);
SELECT is(
    pg_temp.failures((SELECT w.id FROM w), 'wf', NULL), 5,
    'null: the queue limit'
);

SELECT * FROM finish();
ROLLBACK;
