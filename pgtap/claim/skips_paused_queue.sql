-- claim skips a paused queue but still serves the worker's other queues.
BEGIN;
SELECT plan(3);

SELECT ratchet.create_queue('q_on');
SELECT ratchet.create_queue('q_off');
SELECT ratchet.register_workflow('wf_on', '{"queue": "q_on"}');
SELECT ratchet.register_workflow('wf_off', '{"queue": "q_off"}');
SELECT ratchet.start('wf_on');
SELECT ratchet.start('wf_off');
SELECT ratchet.create_queue('q_off', '{"paused": true}');
CREATE TEMP TABLE w AS
SELECT ratchet.register_worker('w1', ARRAY['q_on', 'q_off']) AS id;

CREATE TEMP TABLE c AS SELECT * FROM ratchet.claim((SELECT w.id FROM w), 10);
SELECT is((SELECT count(*) FROM c), 1::bigint, 'one task');
SELECT is((SELECT c.queue FROM c), 'q_on', 'from the running queue');
SELECT ratchet.create_queue('q_off', '{"paused": false}');
SELECT is(
    (SELECT c2.queue FROM ratchet.claim((SELECT w.id FROM w), 10) AS c2),
    'q_off',
    'the resumed queue is served'
);

SELECT * FROM finish();
ROLLBACK;
