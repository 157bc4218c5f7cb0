-- Transitions on a durability=async queue turn synchronous_commit off for
-- their transaction; on a sync queue they leave it alone.
BEGIN;
SELECT plan(7);

SELECT ratchet.create_queue('q_async', '{"durability": "async"}');
SELECT ratchet.create_queue('q_sync');
SELECT ratchet.register_workflow('wf_async', '{"queue": "q_async"}');
SELECT ratchet.register_workflow('wf_sync', '{"queue": "q_sync"}');
CREATE TEMP TABLE w AS
SELECT
    ratchet.register_worker('wa', ARRAY['q_async']) AS async_worker,
    ratchet.register_worker('ws', ARRAY['q_sync']) AS sync_worker;

SET LOCAL synchronous_commit = on;
SELECT ratchet.start('wf_sync');
CREATE TEMP TABLE cs AS SELECT * FROM ratchet.claim((SELECT w.sync_worker FROM w));
SELECT ratchet.checkpoint((SELECT cs.task FROM cs), 's', '1');
SELECT ratchet.complete((SELECT cs.task FROM cs));
SELECT is(current_setting('synchronous_commit'), 'on', 'sync queue: left on');

SET LOCAL synchronous_commit = on;
SELECT ratchet.start('wf_async');
SELECT is(current_setting('synchronous_commit'), 'off', 'start: off');

SET LOCAL synchronous_commit = on;
SELECT ratchet.start('wf_async');
CREATE TEMP TABLE ca AS SELECT * FROM ratchet.claim((SELECT w.async_worker FROM w), 2);
SELECT is(current_setting('synchronous_commit'), 'off', 'claim: off');

SET LOCAL synchronous_commit = on;
SELECT ratchet.checkpoint((SELECT min(ca.task) FROM ca), 's', '1');
SELECT is(current_setting('synchronous_commit'), 'off', 'checkpoint: off');

SET LOCAL synchronous_commit = on;
SELECT ratchet.complete((SELECT min(ca.task) FROM ca));
SELECT is(current_setting('synchronous_commit'), 'off', 'complete: off');

SET LOCAL synchronous_commit = on;
SELECT ratchet.fail((SELECT max(ca.task) FROM ca), '{"e": 1}');
SELECT is(current_setting('synchronous_commit'), 'off', 'fail: off');

SET LOCAL synchronous_commit = on;
SELECT ratchet.create_queue('q_async', '{"durability": "sync"}');
SELECT ratchet.start('wf_async');
SELECT is(
    current_setting('synchronous_commit'), 'on',
    'after switching the queue back to sync: left on'
);

SELECT * FROM finish();
ROLLBACK;
