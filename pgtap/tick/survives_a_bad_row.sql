-- D1: one run that cannot be processed must not stop tick() for everyone:
-- it is failed with the engine error, and the other runs are dealt with.
BEGIN;
SELECT plan(5);

SET LOCAL "ratchet.fake_now" = '2030-01-01 00:00:00+00';
SELECT ratchet.create_queue('q', '{"lease": "30 seconds"}');
SELECT ratchet.register_workflow('wf', '{"queue": "q"}');
CREATE TEMP TABLE w AS SELECT ratchet.register_worker('w1', ARRAY['q']) AS id;
CREATE TEMP TABLE r AS
SELECT
    ratchet.start('wf') AS bad,
    ratchet.start('wf') AS good;
SELECT count(*) FROM ratchet.claim((SELECT w.id FROM w), 10);

-- A failure count that is not a number makes _after_failure raise for this
-- run (a stand-in for any bug that hits one row).
UPDATE ratchet.runs SET failures = '{"": "not a number"}'
WHERE id = (SELECT r.bad FROM r);

SET LOCAL "ratchet.fake_now" = '2030-01-01 00:01:00+00';
SELECT lives_ok('SELECT ratchet.tick()', 'tick completes despite the bad row');
SELECT is(
    (SELECT status FROM ratchet.runs WHERE id = (SELECT r.good FROM r)),
    'queued', 'the good run was reclaimed and queued for a retry'
);
SELECT is(
    (SELECT status FROM ratchet.runs WHERE id = (SELECT r.bad FROM r)),
    'failed', 'the bad run was failed'
);
SELECT is(
    (SELECT error -> 'engine_error' ->> 'phase' FROM ratchet.runs WHERE id = (SELECT r.bad FROM r)),
    'reclaim', 'its error names the engine error and where it happened'
);
SELECT is(
    (SELECT count(*)::int FROM ratchet.tasks),
    0, 'no task is left behind'
);

SELECT * FROM finish();
ROLLBACK;
