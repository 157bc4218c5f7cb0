-- retry re-queues a failed run: error, output, finished_at cleared, attempt up.
BEGIN;
SELECT plan(8);

SET LOCAL "ratchet.fake_now" = '2030-01-01 00:00:00+00';
SELECT ratchet.create_queue('q', '{"max_attempts": 1}');
SELECT ratchet.register_workflow('wf', '{"queue": "q"}');
CREATE TEMP TABLE w AS SELECT ratchet.register_worker('w1', ARRAY['q']) AS id;
CREATE TEMP TABLE r AS SELECT ratchet.start('wf') AS id;
CREATE TEMP TABLE c1 AS SELECT * FROM ratchet.claim((SELECT w.id FROM w));
SELECT ratchet.fail((SELECT c1.task FROM c1), '{"e": 1}');

SELECT lives_ok(
    $$SELECT ratchet.retry((SELECT r.id FROM r))$$, 'retry a failed run'
);
SELECT is(runs.status, 'queued', 'queued again')
FROM ratchet.runs INNER JOIN r ON runs.id = r.id;
SELECT
    ok(
        runs.error IS NULL AND runs.output IS NULL AND runs.finished_at IS NULL,
        'error, output and finished_at cleared'
    )
FROM ratchet.runs INNER JOIN r ON runs.id = r.id;
SELECT is(runs.attempt, 2, 'attempt bumped to 2')
FROM ratchet.runs INNER JOIN r ON runs.id = r.id;
SELECT is(
    (
        SELECT h.kind FROM ratchet.run_history((SELECT r.id FROM r)) AS h
        ORDER BY h.seq DESC LIMIT 1
    ),
    'retried',
    'history records retried'
);
CREATE TEMP TABLE c2 AS SELECT * FROM ratchet.claim((SELECT w.id FROM w));
SELECT is((SELECT c2.run FROM c2), (SELECT r.id FROM r), 'claimable at once');
SELECT is((SELECT c2.attempt FROM c2), 2, 'as attempt 2');
SELECT ratchet.complete((SELECT c2.task FROM c2), '{"ok": true}');
SELECT is(runs.status, 'completed', 'and it can complete this time')
FROM ratchet.runs INNER JOIN r ON runs.id = r.id;

SELECT * FROM finish();
ROLLBACK;
