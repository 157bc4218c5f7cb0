-- await_event's timeout is at most 100 years (D14): past it is RT005, not
-- 22008, and the run keeps running with its task held.
BEGIN;
SELECT plan(5);

SET LOCAL "ratchet.fake_now" = '2030-01-01 00:00:00+00';
SELECT ratchet.create_queue('q');
SELECT ratchet.register_workflow('wf', '{"queue": "q"}');
CREATE TEMP TABLE w AS SELECT ratchet.register_worker('w1', ARRAY['q']) AS id;
CREATE TEMP TABLE r AS SELECT ratchet.start('wf') AS id;
CREATE TEMP TABLE c AS SELECT * FROM ratchet.claim((SELECT w.id FROM w));

SELECT throws_ok(
    $$SELECT ratchet.await_event(
        (SELECT c.task FROM c), 'approval', 'approved', interval '1000000 years'
    )$$,
    'RT005', 'await_event: timeout must be at most 100 years, got 1000000 years',
    'a timeout of 1000000 years'
);
SELECT throws_ok(
    $$SELECT ratchet.await_event(
        (SELECT c.task FROM c), 'approval', 'approved', interval '-1 second'
    )$$,
    'RT005', 'await_event: timeout must not be negative, got -00:00:01',
    'a negative timeout'
);
SELECT ok(
    (
        SELECT status = 'running' FROM ratchet.runs
        WHERE id = (SELECT r.id FROM r)
    )
    AND NOT EXISTS (SELECT 1 FROM ratchet.waits)
    AND EXISTS (SELECT 1 FROM ratchet.tasks WHERE id = (SELECT c.task FROM c))
    AND NOT EXISTS (SELECT 1 FROM ratchet.steps),
    'the refused calls wrote nothing: still running, task held'
);

SELECT is(
    ratchet.await_event((SELECT c.task FROM c), 'approval', 'approved', interval '100 years'),
    NULL::jsonb,
    'a timeout of 100 years is accepted'
);
SELECT is(
    (SELECT timeout_at FROM ratchet.waits WHERE run_id = (SELECT r.id FROM r)),
    '2130-01-01 00:00:00+00'::timestamptz,
    'and waits until then'
);

SELECT * FROM finish();
ROLLBACK;
