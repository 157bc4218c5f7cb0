-- await_runs works on any run, not only children.
BEGIN;
SELECT plan(3);

SELECT ratchet.create_queue('q');
SELECT ratchet.create_queue('q_other');
SELECT ratchet.register_workflow('wf', '{"queue": "q"}');
SELECT ratchet.register_workflow('wf_other', '{"queue": "q_other"}');
CREATE TEMP TABLE w AS
SELECT
    ratchet.register_worker('w1', ARRAY['q']) AS id,
    ratchet.register_worker('w2', ARRAY['q_other']) AS other;
CREATE TEMP TABLE r AS
SELECT
    ratchet.start('wf') AS id,
    ratchet.start('wf_other') AS stranger;
CREATE TEMP TABLE c1 AS SELECT * FROM ratchet.claim((SELECT w.id FROM w));

SELECT ok(
    ratchet.await_runs((SELECT c1.task FROM c1), 'join', (SELECT ARRAY[r.stranger] FROM r))
    IS NULL,
    'waits for an unrelated run'
);
SELECT ratchet.complete(
    (SELECT co.task FROM ratchet.claim((SELECT w.other FROM w)) AS co), '{"v": 7}'
);
CREATE TEMP TABLE c2 AS SELECT * FROM ratchet.claim((SELECT w.id FROM w));
SELECT is((SELECT c2.run FROM c2), (SELECT r.id FROM r), 'woken when it completes');
SELECT is(
    (SELECT c2.checkpoints -> 'join' -> 0 -> 'output' FROM c2), '{"v": 7}'::jsonb,
    'with its output'
);

SELECT * FROM finish();
ROLLBACK;
