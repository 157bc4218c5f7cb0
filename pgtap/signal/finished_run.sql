-- signal to a finished run raises RT008 and records nothing.
BEGIN;
SELECT plan(4);

SELECT ratchet.create_queue('q', '{"max_attempts": 1}');
SELECT ratchet.register_workflow('wf', '{"queue": "q"}');
CREATE TEMP TABLE w AS SELECT ratchet.register_worker('w1', ARRAY['q']) AS id;
CREATE TEMP TABLE r AS
SELECT
    ratchet.start('wf') AS done,
    ratchet.start('wf') AS failed,
    ratchet.start('wf') AS cancelled;
CREATE TEMP TABLE c AS SELECT * FROM ratchet.claim((SELECT w.id FROM w), 10);
SELECT ratchet.complete((SELECT c.task FROM c INNER JOIN r ON c.run = r.done));
SELECT ratchet.fail((SELECT c.task FROM c INNER JOIN r ON c.run = r.failed), '{}');
SELECT ratchet.cancel((SELECT r.cancelled FROM r));

SELECT throws_ok(
    $$SELECT ratchet.signal((SELECT r.done FROM r), 'go')$$,
    'RT008', NULL, 'a completed run'
);
SELECT throws_ok(
    $$SELECT ratchet.signal((SELECT r.failed FROM r), 'go')$$,
    'RT008', NULL, 'a failed run'
);
SELECT throws_ok(
    $$SELECT ratchet.signal((SELECT r.cancelled FROM r), 'go')$$,
    'RT008', NULL, 'a cancelled run'
);
SELECT is(
    (
        SELECT count(*) FROM ratchet.run_history((SELECT r.done FROM r)) AS h
        WHERE h.kind = 'signal'
    ),
    0::bigint,
    'no signal recorded'
);

SELECT * FROM finish();
ROLLBACK;
