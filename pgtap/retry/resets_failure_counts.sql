-- retry resets failure counts: the run gets its full attempt budget again.
BEGIN;
SELECT plan(3);

SET LOCAL "ratchet.fake_now" = '2030-01-01 00:00:00+00';
SELECT ratchet.create_queue(
    'q', '{"max_attempts": 2, "backoff": {"initial": 1, "jitter": 0}}'
);
SELECT ratchet.register_workflow('wf', '{"queue": "q"}');
CREATE TEMP TABLE w AS SELECT ratchet.register_worker('w1', ARRAY['q']) AS id;
CREATE TEMP TABLE r AS SELECT ratchet.start('wf') AS id;

-- Claims the run at the current fake time and fails it.
CREATE FUNCTION pg_temp.claim_and_fail(p_worker bigint)
RETURNS text
LANGUAGE sql
AS $$
    SELECT ratchet.fail(c.task, '{"boom": 1}', 'step_a')
    FROM ratchet.claim(p_worker) AS c;
$$;

SELECT pg_temp.claim_and_fail((SELECT w.id FROM w));
SET LOCAL "ratchet.fake_now" = '2030-01-01 00:01:00+00';
SELECT is(
    pg_temp.claim_and_fail((SELECT w.id FROM w)), 'failed',
    'two failures use up two attempts'
);
SELECT ratchet.retry((SELECT r.id FROM r));
SELECT is(
    pg_temp.claim_and_fail((SELECT w.id FROM w)), 'retrying',
    'after retry the first failure retries again'
);
SET LOCAL "ratchet.fake_now" = '2030-01-01 00:02:00+00';
SELECT is(
    pg_temp.claim_and_fail((SELECT w.id FROM w)), 'failed',
    'and the second fails'
);

SELECT * FROM finish();
ROLLBACK;
