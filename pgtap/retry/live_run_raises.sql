-- retry works only on failed or cancelled runs; else RT008, unknown RT006.
BEGIN;
SELECT plan(5);

SELECT ratchet.create_queue('q');
SELECT ratchet.register_workflow('wf', '{"queue": "q"}');
CREATE TEMP TABLE w AS SELECT ratchet.register_worker('w1', ARRAY['q']) AS id;
CREATE TEMP TABLE r AS
SELECT
    ratchet.start('wf') AS running,
    ratchet.start('wf') AS done;
CREATE TEMP TABLE c AS SELECT * FROM ratchet.claim((SELECT w.id FROM w), 10);
SELECT ratchet.complete((SELECT c.task FROM c INNER JOIN r ON c.run = r.done));
ALTER TABLE r ADD COLUMN queued bigint;
UPDATE r SET queued = ratchet.start('wf');

SELECT throws_ok(
    $$SELECT ratchet.retry((SELECT r.queued FROM r))$$,
    'RT008', NULL, 'a queued run'
);
SELECT throws_ok(
    $$SELECT ratchet.retry((SELECT r.running FROM r))$$,
    'RT008', NULL, 'a running run'
);
SELECT throws_ok(
    $$SELECT ratchet.retry((SELECT r.done FROM r))$$,
    'RT008', NULL, 'a completed run'
);
SELECT is(runs.attempt, 1, 'the running run is untouched')
FROM ratchet.runs INNER JOIN r ON runs.id = r.running;
SELECT throws_ok(
    $$SELECT ratchet.retry(-1)$$, 'RT006', NULL, 'an unknown run'
);

SELECT * FROM finish();
ROLLBACK;
