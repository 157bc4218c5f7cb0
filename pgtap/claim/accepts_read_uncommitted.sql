-- READ UNCOMMITTED runs as READ COMMITTED in PostgreSQL: claim accepts it.
BEGIN;
SET LOCAL transaction_isolation = 'read uncommitted';
SELECT plan(1);

SELECT ratchet.create_queue('q', '{"concurrency": 1}');
SELECT ratchet.register_workflow('wf', '{"queue": "q"}');
CREATE TEMP TABLE w AS SELECT ratchet.register_worker('w1', ARRAY['q']) AS id;
SELECT ratchet.start('wf');

SELECT is(
    (SELECT count(*) FROM ratchet.claim((SELECT w.id FROM w), 1)), 1::bigint,
    'claim under READ UNCOMMITTED takes the run'
);

SELECT * FROM finish();
ROLLBACK;
