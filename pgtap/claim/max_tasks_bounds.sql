-- max_tasks is 1..1000; claim returns at most that many tasks.
BEGIN;
SELECT plan(5);

SELECT ratchet.create_queue('q');
SELECT ratchet.register_workflow('wf', '{"queue": "q"}');
CREATE TEMP TABLE w AS SELECT ratchet.register_worker('w1', ARRAY['q']) AS id;
SELECT ratchet.start('wf') FROM generate_series(1, 5);

SELECT throws_ok(
    $$SELECT * FROM ratchet.claim((SELECT w.id FROM w), 0)$$,
    'RT005', NULL, 'max_tasks 0'
);
SELECT throws_ok(
    $$SELECT * FROM ratchet.claim((SELECT w.id FROM w), 1001)$$,
    'RT005', NULL, 'max_tasks 1001'
);
SELECT is(
    (SELECT count(*) FROM ratchet.claim((SELECT w.id FROM w))), 1::bigint,
    'one task by default'
);
SELECT is(
    (SELECT count(*) FROM ratchet.claim((SELECT w.id FROM w), 3)), 3::bigint,
    'at most max_tasks'
);
SELECT is(
    (SELECT count(*) FROM ratchet.claim((SELECT w.id FROM w), 1000)), 1::bigint,
    'max_tasks 1000 is allowed; one run is left'
);

SELECT * FROM finish();
ROLLBACK;
