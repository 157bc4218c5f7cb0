-- A failure with attempts left returns 'retrying' and re-queues the run.
BEGIN;
SELECT plan(6);

SET LOCAL "ratchet.fake_now" = '2030-01-01 00:00:00+00';
SELECT ratchet.create_queue('q', '{"backoff": {"initial": 5, "jitter": 0}}');
SELECT ratchet.register_workflow('wf', '{"queue": "q"}');
CREATE TEMP TABLE w AS SELECT ratchet.register_worker('w1', ARRAY['q']) AS id;
CREATE TEMP TABLE r AS SELECT ratchet.start('wf') AS id;
CREATE TEMP TABLE c1 AS SELECT * FROM ratchet.claim((SELECT w.id FROM w));

SELECT is(
    ratchet.fail((SELECT c1.task FROM c1), '{"message": "boom"}'), 'retrying',
    'returns retrying'
);
SELECT is(runs.status, 'queued', 'the run is queued again')
FROM ratchet.runs INNER JOIN r ON runs.id = r.id;
SELECT ok(
    EXISTS (
        SELECT 1 FROM ratchet.run_history((SELECT r.id FROM r)) AS h
        WHERE h.kind = 'retrying'
    ),
    'history records retrying'
);
SELECT throws_ok(
    $$SELECT ratchet.complete((SELECT c1.task FROM c1))$$,
    'RT001', NULL, 'the failed task is no longer held'
);

SET LOCAL "ratchet.fake_now" = '2030-01-01 00:00:05+00';
CREATE TEMP TABLE c2 AS SELECT * FROM ratchet.claim((SELECT w.id FROM w));
SELECT is((SELECT c2.run FROM c2), (SELECT r.id FROM r), 'claimed again');
SELECT is((SELECT c2.attempt FROM c2), 2, 'as attempt 2');

SELECT * FROM finish();
ROLLBACK;
