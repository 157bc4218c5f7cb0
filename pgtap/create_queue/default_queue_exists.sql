-- A queue named default exists after install and is used by default.
BEGIN;
SELECT plan(3);

SELECT is(
    (
        SELECT count(*) FROM ratchet.queue_stats
        WHERE queue = 'default'
    ),
    1::bigint,
    'queue_stats lists the default queue'
);
SELECT lives_ok(
    $$SELECT ratchet.register_worker('w1', ARRAY['default'])$$,
    'a worker can register on the default queue'
);
SELECT ratchet.register_workflow('wf');
CREATE TEMP TABLE r AS SELECT ratchet.start('wf') AS id;
SELECT is(runs.queue, 'default', 'a workflow without a queue uses default')
FROM ratchet.runs INNER JOIN r ON runs.id = r.id;

SELECT * FROM finish();
ROLLBACK;
