-- fail on a task no longer held raises RT001, on a cancelled run RT002.
BEGIN;
SELECT plan(4);

SET LOCAL "ratchet.fake_now" = '2030-01-01 00:00:00+00';
SELECT ratchet.create_queue('q', '{"lease": "10 seconds"}');
SELECT ratchet.register_workflow('wf', '{"queue": "q"}');
CREATE TEMP TABLE w AS SELECT ratchet.register_worker('w1', ARRAY['q']) AS id;
SELECT ratchet.start('wf') FROM generate_series(1, 3);
CREATE TEMP TABLE c AS
SELECT
    c.*,
    row_number() OVER (ORDER BY c.task) AS n
FROM ratchet.claim((SELECT w.id FROM w), 3) AS c;
SELECT ratchet.complete((SELECT c.task FROM c WHERE c.n = 1));
SELECT ratchet.cancel((SELECT c.run FROM c WHERE c.n = 2));

SELECT throws_ok(
    $$SELECT ratchet.fail(-1, '{}')$$, 'RT001', NULL, 'unknown task'
);
SELECT throws_ok(
    $$SELECT ratchet.fail((SELECT c.task FROM c WHERE c.n = 1), '{}')$$,
    'RT001', NULL, 'a completed task'
);
SELECT throws_ok(
    $$SELECT ratchet.fail((SELECT c.task FROM c WHERE c.n = 2), '{}')$$,
    'RT002', NULL, 'a task of a cancelled run'
);
SET LOCAL "ratchet.fake_now" = '2030-01-01 00:00:11+00';
SELECT throws_ok(
    $$SELECT ratchet.fail((SELECT c.task FROM c WHERE c.n = 3), '{}')$$,
    'RT001', NULL, 'a task whose lease expired'
);

SELECT * FROM finish();
ROLLBACK;
