-- The failure that uses the last attempt returns 'failed' and ends the run.
BEGIN;
SELECT plan(7);

SET LOCAL "ratchet.fake_now" = '2030-01-01 00:00:00+00';
SELECT ratchet.create_queue(
    'q', '{"max_attempts": 2, "backoff": {"initial": 1, "jitter": 0}}'
);
SELECT ratchet.register_workflow('wf', '{"queue": "q"}');
CREATE TEMP TABLE w AS SELECT ratchet.register_worker('w1', ARRAY['q']) AS id;
CREATE TEMP TABLE r AS SELECT ratchet.start('wf') AS id;
CREATE TEMP TABLE c1 AS SELECT * FROM ratchet.claim((SELECT w.id FROM w));
SELECT ratchet.fail((SELECT c1.task FROM c1), '{"message": "first"}');
SET LOCAL "ratchet.fake_now" = '2030-01-01 00:00:10+00';
CREATE TEMP TABLE c2 AS SELECT * FROM ratchet.claim((SELECT w.id FROM w));

SELECT is(
    ratchet.fail((SELECT c2.task FROM c2), '{"message": "second"}'), 'failed',
    'the second failure of two attempts returns failed'
);
SELECT is(runs.status, 'failed', 'status failed')
FROM ratchet.runs INNER JOIN r ON runs.id = r.id;
SELECT is(runs.error, '{"message": "second"}'::jsonb, 'the last error')
FROM ratchet.runs INNER JOIN r ON runs.id = r.id;
SELECT
    is(
        runs.finished_at, '2030-01-01 00:00:10+00'::timestamptz, 'finished_at'
    )
FROM ratchet.runs INNER JOIN r ON runs.id = r.id;
SELECT is(
    (
        SELECT h.kind FROM ratchet.run_history((SELECT r.id FROM r)) AS h
        ORDER BY h.seq DESC LIMIT 1
    ),
    'failed',
    'the last history entry is failed'
);
SET LOCAL "ratchet.fake_now" = '2030-01-02 00:00:00+00';
SELECT is(
    (SELECT count(*) FROM ratchet.claim((SELECT w.id FROM w))), 0::bigint,
    'a failed run is never claimed again'
);
SELECT throws_ok(
    $$SELECT ratchet.fail((SELECT c2.task FROM c2), '{}')$$,
    'RT001', NULL, 'its task is no longer held'
);

SELECT * FROM finish();
ROLLBACK;
