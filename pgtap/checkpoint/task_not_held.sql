-- checkpoint on a task not held raises RT001 and records nothing.
BEGIN;
SELECT plan(4);

SET LOCAL "ratchet.fake_now" = '2030-01-01 00:00:00+00';
SELECT ratchet.create_queue(
    'q', '{"lease": "10 seconds", "backoff": {"initial": 1, "jitter": 0}}'
);
SELECT ratchet.register_workflow('wf', '{"queue": "q"}');
CREATE TEMP TABLE w AS SELECT ratchet.register_worker('w1', ARRAY['q']) AS id;
SELECT ratchet.start('wf');
CREATE TEMP TABLE c1 AS SELECT * FROM ratchet.claim((SELECT w.id FROM w));

SELECT throws_ok(
    $$SELECT ratchet.checkpoint((SELECT c1.task + 1000 FROM c1), 's', '1')$$,
    'RT001', NULL, 'an unknown task'
);
SET LOCAL "ratchet.fake_now" = '2030-01-01 00:00:10.5+00';
SELECT throws_ok(
    $$SELECT ratchet.checkpoint((SELECT c1.task FROM c1), 'late', '1')$$,
    'RT001', NULL, 'a task whose lease expired'
);
SELECT ratchet.tick();
SET LOCAL "ratchet.fake_now" = '2030-01-01 00:01:00+00';
CREATE TEMP TABLE c2 AS SELECT * FROM ratchet.claim((SELECT w.id FROM w));
SELECT is(
    (SELECT c2.checkpoints FROM c2), '{}'::jsonb,
    'the late write was not recorded'
);
SELECT ratchet.complete((SELECT c2.task FROM c2));
SELECT throws_ok(
    $$SELECT ratchet.checkpoint((SELECT c2.task FROM c2), 's', '1')$$,
    'RT001', NULL, 'a completed task'
);

SELECT * FROM finish();
ROLLBACK;
