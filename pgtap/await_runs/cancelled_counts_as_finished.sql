-- A cancelled run counts as finished for await_runs.
BEGIN;
SELECT plan(2);

SELECT ratchet.create_queue('q');
SELECT ratchet.create_queue('q_kids');
SELECT ratchet.register_workflow('wf', '{"queue": "q"}');
SELECT ratchet.register_workflow('wf_kid', '{"queue": "q_kids"}');
CREATE TEMP TABLE w AS SELECT ratchet.register_worker('w1', ARRAY['q']) AS id;
CREATE TEMP TABLE r AS SELECT ratchet.start('wf') AS id;
CREATE TEMP TABLE c1 AS SELECT * FROM ratchet.claim((SELECT w.id FROM w));
CREATE TEMP TABLE k AS
SELECT ratchet.start_child((SELECT c1.task FROM c1), 'a', 'wf_kid', '{}') AS a;
SELECT ratchet.await_runs((SELECT c1.task FROM c1), 'join', (SELECT ARRAY[k.a] FROM k));

SELECT ratchet.cancel((SELECT k.a FROM k));
CREATE TEMP TABLE c2 AS SELECT * FROM ratchet.claim((SELECT w.id FROM w));
SELECT is((SELECT c2.run FROM c2), (SELECT r.id FROM r), 'the parent wakes');
SELECT is(
    (SELECT c2.checkpoints -> 'join' -> 0 ->> 'status' FROM c2), 'cancelled',
    'with the child recorded as cancelled'
);

SELECT * FROM finish();
ROLLBACK;
