-- D1: a steep backoff is capped before it can overflow an interval, so the
-- sixth failure with factor 1000 still schedules a retry within max.
BEGIN;
SELECT plan(4);

SET LOCAL "ratchet.fake_now" = '2030-01-01 00:00:00+00';
SELECT ratchet.create_queue(
    'q', '{"max_attempts": 10, "backoff": {"factor": 1000, "max": "1 hour"}}'
);
SELECT ratchet.register_workflow('wf', '{"queue": "q"}');
CREATE TEMP TABLE w AS SELECT ratchet.register_worker('w1', ARRAY['q']) AS id;
CREATE TEMP TABLE r AS SELECT ratchet.start('wf') AS id;
CREATE TEMP TABLE outcomes (n int, outcome text, retry_at timestamptz);

-- Claims the run at fake time T + 2 h * n and fails it.
CREATE FUNCTION pg_temp.fail_at(n int)
RETURNS void
LANGUAGE plpgsql
AS $$
DECLARE
    v_task bigint;
BEGIN
    PERFORM set_config(
        'ratchet.fake_now',
        (timestamptz '2030-01-01 00:00:00+00' + n * interval '2 hours')::text,
        true
    );
    SELECT c.task INTO v_task FROM ratchet.claim((SELECT w.id FROM w)) AS c;
    INSERT INTO outcomes
    SELECT n, ratchet.fail(v_task, '{"boom": true}'), p.due_at
    FROM (SELECT 1) AS one
    LEFT JOIN ratchet.pending AS p ON p.run_id = (SELECT r.id FROM r);
    UPDATE outcomes SET retry_at = p.due_at
    FROM ratchet.pending AS p
    WHERE outcomes.n = fail_at.n AND p.run_id = (SELECT r.id FROM r);
END;
$$;

SELECT pg_temp.fail_at(n) FROM generate_series(1, 9) AS n;

SELECT is(
    (SELECT count(*)::int FROM outcomes WHERE outcome = 'retrying'), 9,
    'nine failures in a row all retry'
);
SELECT ok(
    (
        SELECT
            bool_and(
                o.retry_at <= timestamptz '2030-01-01 00:00:00+00'
                + o.n * interval '2 hours' + interval '72 minutes'
            )
        FROM outcomes AS o
    ),
    'every retry is due within max (1 hour) plus 20 % jitter'
);
SELECT is(
    (SELECT r.status FROM ratchet.runs AS r WHERE r.id = (SELECT x.id FROM r AS x)),
    'queued', 'the run is queued for its tenth attempt'
);
SELECT lives_ok(
    'SELECT ratchet.tick()', 'tick still runs'
);

SELECT * FROM finish();
ROLLBACK;
