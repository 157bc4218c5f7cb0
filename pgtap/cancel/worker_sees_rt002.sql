-- A worker holding a cancelled run gets RT002 at its next call.
BEGIN;
SELECT plan(6);

SET LOCAL "ratchet.fake_now" = '2030-01-01 00:00:00+00';
SELECT ratchet.create_queue('q');
SELECT ratchet.register_workflow('wf', '{"queue": "q"}');
SELECT ratchet.register_workflow('wf_child', '{"queue": "q"}');
CREATE TEMP TABLE w AS SELECT ratchet.register_worker('w1', ARRAY['q']) AS id;
CREATE TEMP TABLE r AS SELECT ratchet.start('wf') AS id;
CREATE TEMP TABLE c AS SELECT * FROM ratchet.claim((SELECT w.id FROM w));

SELECT is(
    ratchet.cancel((SELECT r.id FROM r)), TRUE, 'cancel a running run'
);
SELECT is(runs.status, 'cancelled', 'cancelled at once')
FROM ratchet.runs INNER JOIN r ON runs.id = r.id;
SELECT throws_ok(
    $$SELECT ratchet.checkpoint((SELECT c.task FROM c), 's', '1')$$,
    'RT002', NULL, 'checkpoint raises RT002'
);
SELECT throws_ok(
    $$SELECT ratchet.sleep(
        (SELECT c.task FROM c), 'nap', '2030-01-02 00:00:00+00'
    )$$,
    'RT002', NULL, 'sleep raises RT002'
);
SELECT throws_ok(
    $$SELECT ratchet.start_child((SELECT c.task FROM c), 'k', 'wf_child', '{}')$$,
    'RT002', NULL, 'start_child raises RT002'
);
SELECT throws_ok(
    $$SELECT ratchet.complete((SELECT c.task FROM c))$$,
    'RT002', NULL, 'complete raises RT002'
);

SELECT * FROM finish();
ROLLBACK;
