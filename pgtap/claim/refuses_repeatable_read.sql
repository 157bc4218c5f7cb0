-- claim refuses a REPEATABLE READ transaction: its snapshot predates the
-- queue lock, so the free-slot count could miss a committed task (issue 7, D6).
BEGIN;
SET LOCAL transaction_isolation = 'repeatable read';
SELECT plan(2);

SELECT ratchet.create_queue('q', '{"concurrency": 1}');
SELECT ratchet.register_workflow('wf', '{"queue": "q"}');
CREATE TEMP TABLE w AS SELECT ratchet.register_worker('w1', ARRAY['q']) AS id;
SELECT ratchet.start('wf');

SELECT throws_ok(
    $$SELECT * FROM ratchet.claim((SELECT w.id FROM w), 1)$$,
    'RT005',
    'claim needs READ COMMITTED isolation, this transaction is REPEATABLE READ',
    'claim under REPEATABLE READ raises RT005'
);
SELECT results_eq(
    $$SELECT r.status, (SELECT count(*) FROM ratchet.tasks) FROM ratchet.runs AS r$$,
    $$VALUES ('queued'::text, 0::bigint)$$,
    'the run is still queued and no task was made'
);

SELECT * FROM finish();
ROLLBACK;
