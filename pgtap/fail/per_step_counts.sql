-- Attempts and backoff count failures per step (or of the body), not per run.
BEGIN;
SELECT plan(9);

SET LOCAL "ratchet.fake_now" = '2030-01-01 00:00:00+00';
SELECT ratchet.create_queue(
    'q',
    '{"max_attempts": 3,
      "backoff": {"initial": "10 seconds", "factor": 2, "jitter": 0}}'
);
SELECT ratchet.register_workflow('wf', '{"queue": "q"}');
CREATE TEMP TABLE w AS SELECT ratchet.register_worker('w1', ARRAY['q']) AS id;
CREATE TEMP TABLE r AS SELECT ratchet.start('wf') AS id;

-- Claims the run at the current fake time and fails it in the given step.
CREATE FUNCTION pg_temp.fail_step(p_worker bigint, p_step text)
RETURNS text
LANGUAGE sql
AS $$
    SELECT ratchet.fail(c.task, '{"boom": 1}', p_step)
    FROM ratchet.claim(p_worker) AS c;
$$;

-- Claims whatever is due, fails nothing; returns the count.
CREATE FUNCTION pg_temp.due(p_worker bigint)
RETURNS int
LANGUAGE sql
AS $$
    SELECT count(*)::int FROM ratchet.claim(p_worker, 10);
$$;

SELECT is(
    pg_temp.fail_step((SELECT w.id FROM w), 'a'), 'retrying', 'a fails (1)'
);
SET LOCAL "ratchet.fake_now" = '2030-01-01 00:00:10+00';
SELECT is(
    pg_temp.fail_step((SELECT w.id FROM w), 'b'), 'retrying', 'b fails (1)'
);
SET LOCAL "ratchet.fake_now" = '2030-01-01 00:00:19.9+00';
SELECT is(
    pg_temp.due((SELECT w.id FROM w)), 0,
    'the first failure of b waits 10 s: not due before'
);
SET LOCAL "ratchet.fake_now" = '2030-01-01 00:00:20+00';
SELECT is(
    pg_temp.fail_step((SELECT w.id FROM w), 'a'), 'retrying',
    'a fails (2): due at 20 s, fails again'
);
SET LOCAL "ratchet.fake_now" = '2030-01-01 00:00:39.9+00';
SELECT is(
    pg_temp.due((SELECT w.id FROM w)), 0,
    'second failure of a waits 20 s'
);
SET LOCAL "ratchet.fake_now" = '2030-01-01 00:00:40+00';
SELECT is(
    pg_temp.fail_step((SELECT w.id FROM w), NULL), 'retrying',
    'the body fails (1)'
);
SET LOCAL "ratchet.fake_now" = '2030-01-01 00:00:50+00';
SELECT is(
    pg_temp.fail_step((SELECT w.id FROM w), 'b'), 'retrying',
    'b fails (2): five failures in all, still retrying'
);
SET LOCAL "ratchet.fake_now" = '2030-01-01 00:01:10+00';
SELECT is(
    pg_temp.fail_step((SELECT w.id FROM w), 'a'), 'failed',
    'a fails (3): the third failure of one step ends the run'
);
SELECT is(runs.status, 'failed', 'the run failed')
FROM ratchet.runs INNER JOIN r ON runs.id = r.id;

SELECT * FROM finish();
ROLLBACK;
