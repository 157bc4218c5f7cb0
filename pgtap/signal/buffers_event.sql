-- A signal to a run not waiting for it is kept and recorded in the history.
BEGIN;
SELECT plan(3);

SELECT ratchet.register_workflow('wf');
CREATE TEMP TABLE r AS SELECT ratchet.start('wf') AS id;

SELECT lives_ok(
    $$SELECT ratchet.signal((SELECT r.id FROM r), 'approved', '{"by": "ann"}')$$,
    'signal a queued run'
);
SELECT is(runs.status, 'queued', 'the run stays queued')
FROM ratchet.runs INNER JOIN r ON runs.id = r.id;
SELECT is(
    (
        SELECT count(*) FROM ratchet.run_history((SELECT r.id FROM r)) AS h
        WHERE h.kind = 'signal'
    ),
    1::bigint,
    'history records the signal'
);

SELECT * FROM finish();
ROLLBACK;
