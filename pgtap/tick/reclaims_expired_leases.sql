-- tick reclaims expired leases: lease_expired, then a retry as a new attempt.
BEGIN;
SELECT plan(8);

SET LOCAL "ratchet.fake_now" = '2030-01-01 00:00:00+00';
SELECT ratchet.create_queue(
    'q', '{"lease": "10 seconds", "backoff": {"initial": 1, "jitter": 0}}'
);
SELECT ratchet.register_workflow('wf', '{"queue": "q"}');
CREATE TEMP TABLE w AS SELECT ratchet.register_worker('w1', ARRAY['q']) AS id;
CREATE TEMP TABLE r AS SELECT ratchet.start('wf') AS id;
CREATE TEMP TABLE c1 AS SELECT * FROM ratchet.claim((SELECT w.id FROM w));

SET LOCAL "ratchet.fake_now" = '2030-01-01 00:00:09+00';
SELECT is(
    (ratchet.tick() ->> 'reclaimed')::int, 0, 'nothing before the lease ends'
);
SET LOCAL "ratchet.fake_now" = '2030-01-01 00:00:11+00';
SELECT is(
    (ratchet.tick() ->> 'reclaimed')::int, 1, 'one lease reclaimed'
);
SELECT is(
    (ratchet.tick() ->> 'reclaimed')::int, 0, 'a second tick finds nothing'
);
SELECT is(runs.status, 'queued', 'the run is queued for a retry')
FROM ratchet.runs INNER JOIN r ON runs.id = r.id;
SELECT ok(
    EXISTS (
        SELECT 1 FROM ratchet.run_history((SELECT r.id FROM r)) AS h
        WHERE h.kind = 'lease_expired'
    ),
    'history records lease_expired'
);
SELECT throws_ok(
    $$SELECT ratchet.checkpoint((SELECT c1.task FROM c1), 's', '1')$$,
    'RT001', NULL, 'the old task is fenced'
);
SET LOCAL "ratchet.fake_now" = '2030-01-01 00:00:13+00';
CREATE TEMP TABLE c2 AS SELECT * FROM ratchet.claim((SELECT w.id FROM w));
SELECT is((SELECT c2.run FROM c2), (SELECT r.id FROM r), 'claimed again');
SELECT is((SELECT c2.attempt FROM c2), 2, 'as attempt 2');

SELECT * FROM finish();
ROLLBACK;
