-- One event name may be sent and awaited many times, in order.
BEGIN;
SELECT plan(4);

SELECT ratchet.create_queue('q');
SELECT ratchet.register_workflow('wf', '{"queue": "q"}');
CREATE TEMP TABLE w AS SELECT ratchet.register_worker('w1', ARRAY['q']) AS id;
CREATE TEMP TABLE r AS SELECT ratchet.start('wf') AS id;
SELECT ratchet.signal((SELECT r.id FROM r), 'msg', '{"n": 1}');
SELECT ratchet.signal((SELECT r.id FROM r), 'msg', '{"n": 2}');
CREATE TEMP TABLE c AS SELECT * FROM ratchet.claim((SELECT w.id FROM w));

SELECT is(
    ratchet.await_event((SELECT c.task FROM c), 'first', 'msg'),
    '{"payload": {"n": 1}}'::jsonb,
    'the first wait gets the first event'
);
SELECT is(
    ratchet.await_event((SELECT c.task FROM c), 'first', 'msg'),
    '{"payload": {"n": 1}}'::jsonb,
    'the same step again does not consume another event'
);
SELECT is(
    ratchet.await_event((SELECT c.task FROM c), 'second', 'msg'),
    '{"payload": {"n": 2}}'::jsonb,
    'the second wait gets the second event'
);
SELECT ok(
    ratchet.await_event((SELECT c.task FROM c), 'third', 'msg') IS NULL,
    'a third wait has nothing and suspends'
);

SELECT * FROM finish();
ROLLBACK;
