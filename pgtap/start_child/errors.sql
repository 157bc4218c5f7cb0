-- start_child raises RT003, RT005 or RT001 and starts nothing.
BEGIN;
SELECT plan(5);

SELECT ratchet.create_queue('q');
SELECT ratchet.register_workflow('wf', '{"queue": "q"}');
CREATE TEMP TABLE w AS SELECT ratchet.register_worker('w1', ARRAY['q']) AS id;
CREATE TEMP TABLE r AS SELECT ratchet.start('wf') AS id;
CREATE TEMP TABLE c AS SELECT * FROM ratchet.claim((SELECT w.id FROM w));

SELECT throws_ok(
    $$SELECT ratchet.start_child((SELECT c.task FROM c), 'k', 'nope', '{}')$$,
    'RT003', NULL, 'an unknown workflow'
);
SELECT throws_ok(
    $$SELECT ratchet.start_child((SELECT c.task FROM c), 'k', 'wf', '[1]')$$,
    'RT005', NULL, 'an input that is not an object'
);
SELECT throws_ok(
    $$SELECT ratchet.start_child((SELECT c.task FROM c), 'k', 'wf', '{}', '{"colour": 1}')$$,
    'RT005', NULL, 'an unknown option'
);
SELECT throws_ok(
    $$SELECT ratchet.start_child(-1, 'k', 'wf', '{}')$$,
    'RT001', NULL, 'a task not held'
);
SELECT is(
    (SELECT count(*) FROM ratchet.runs WHERE parent = (SELECT r.id FROM r)),
    0::bigint,
    'no child was started'
);

SELECT * FROM finish();
ROLLBACK;
