-- heartbeat of a worker holding nothing returns null.
BEGIN;
SELECT plan(2);

SET LOCAL "ratchet.fake_now" = '2030-01-01 00:00:00+00';
CREATE TEMP TABLE w AS
SELECT ratchet.register_worker('w1', ARRAY['default']) AS id;

SELECT ok(
    ratchet.heartbeat((SELECT w.id FROM w)) IS NULL, 'a fresh worker: null'
);

SELECT ratchet.register_workflow('wf');
SELECT ratchet.start('wf');
CREATE TEMP TABLE c AS SELECT * FROM ratchet.claim((SELECT w.id FROM w));
SELECT ratchet.complete((SELECT c.task FROM c));
SELECT ok(
    ratchet.heartbeat((SELECT w.id FROM w)) IS NULL,
    'after its only task completed: null'
);

SELECT * FROM finish();
ROLLBACK;
