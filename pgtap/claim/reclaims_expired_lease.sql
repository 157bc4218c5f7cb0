-- claim takes back a run whose lease expired, as a new task and attempt.
BEGIN;
SELECT plan(5);

SET LOCAL "ratchet.fake_now" = '2030-01-01 00:00:00+00';
SELECT ratchet.create_queue(
    'q', '{"lease": "10 seconds", "backoff": {"initial": 1, "jitter": 0}}'
);
SELECT ratchet.register_workflow('wf', '{"queue": "q"}');
CREATE TEMP TABLE w AS
SELECT
    ratchet.register_worker('w1', ARRAY['q']) AS first_id,
    ratchet.register_worker('w2', ARRAY['q']) AS second_id;
CREATE TEMP TABLE r AS SELECT ratchet.start('wf') AS id;
CREATE TEMP TABLE c1 AS SELECT * FROM ratchet.claim((SELECT w.first_id FROM w));

-- No tick: only claims run. The retry may wait out its 1 s backoff.
SET LOCAL "ratchet.fake_now" = '2030-01-01 00:00:11+00';
CREATE TEMP TABLE c2 AS SELECT * FROM ratchet.claim((SELECT w.second_id FROM w));
SET LOCAL "ratchet.fake_now" = '2030-01-01 00:00:13+00';
INSERT INTO c2 SELECT * FROM ratchet.claim((SELECT w.second_id FROM w));

SELECT is((SELECT count(*) FROM c2), 1::bigint, 'the run is claimed again');
SELECT is((SELECT c2.run FROM c2), (SELECT r.id FROM r), 'the same run');
SELECT isnt(
    (SELECT c2.task FROM c2), (SELECT c1.task FROM c1), 'with a new task id'
);
SELECT is((SELECT c2.attempt FROM c2), 2, 'as attempt 2');
SELECT throws_ok(
    $$SELECT ratchet.complete((SELECT c1.task FROM c1))$$,
    'RT001', NULL, 'the old task is fenced'
);

SELECT * FROM finish();
ROLLBACK;
