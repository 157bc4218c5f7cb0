-- max_attempts: the start option, else the workflow's, else the queue's.
BEGIN;
SELECT plan(4);

SET LOCAL "ratchet.fake_now" = '2030-01-01 00:00:00+00';
SELECT ratchet.create_queue('q', '{"max_attempts": 4}');
SELECT ratchet.register_workflow('wf_plain', '{"queue": "q"}');
SELECT ratchet.register_workflow(
    'wf_three', '{"queue": "q", "max_attempts": 3}'
);
CREATE TEMP TABLE w AS SELECT ratchet.register_worker('w1', ARRAY['q']) AS id;

-- Starts one run, fails it until it gives up, returns the attempts it took.
CREATE FUNCTION pg_temp.attempts(p_worker bigint, p_wf text, p_options jsonb)
RETURNS int
LANGUAGE plpgsql
AS $$
DECLARE
    n int := 0;
    r bigint := ratchet.start(p_wf, '{}', p_options);
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
        IF ratchet.fail(t, '{"boom": 1}') = 'failed' THEN
            RETURN n;
        END IF;
    END LOOP;
END;
$$;

SELECT is(
    pg_temp.attempts((SELECT w.id FROM w), 'wf_plain', '{}'), 4,
    'the queue limit applies when nothing else is set'
);
SELECT is(
    pg_temp.attempts((SELECT w.id FROM w), 'wf_three', '{}'), 3,
    'the workflow limit overrides the queue'
);
SELECT is(
    pg_temp.attempts((SELECT w.id FROM w), 'wf_three', '{"max_attempts": 2}'),
    2,
    'the start option overrides the workflow'
);
SELECT is(
    pg_temp.attempts((SELECT w.id FROM w), 'wf_plain', '{"max_attempts": 1}'),
    1,
    'the start option overrides the queue'
);

SELECT * FROM finish();
ROLLBACK;
