-- claim refuses a SERIALIZABLE transaction as well (issue 7, D6).
BEGIN;
SET LOCAL transaction_isolation = 'serializable';
SELECT plan(1);

SELECT ratchet.create_queue('q', '{"concurrency": 1}');
SELECT ratchet.register_workflow('wf', '{"queue": "q"}');
CREATE TEMP TABLE w AS SELECT ratchet.register_worker('w1', ARRAY['q']) AS id;
SELECT ratchet.start('wf');

SELECT throws_ok(
    $$SELECT * FROM ratchet.claim((SELECT w.id FROM w), 1)$$,
    'RT005',
    'claim needs READ COMMITTED isolation, this transaction is SERIALIZABLE',
    'claim under SERIALIZABLE raises RT005'
);

SELECT * FROM finish();
ROLLBACK;
