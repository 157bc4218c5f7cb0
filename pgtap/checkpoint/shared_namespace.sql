-- All kinds of step share one name space; reusing a name returns the stored value.
BEGIN;
SELECT plan(4);

SET LOCAL "ratchet.fake_now" = '2030-01-01 00:00:00+00';
SELECT ratchet.create_queue('q');
SELECT ratchet.register_workflow('wf', '{"queue": "q"}');
CREATE TEMP TABLE w AS SELECT ratchet.register_worker('w1', ARRAY['q']) AS id;
SELECT ratchet.start('wf');
CREATE TEMP TABLE c AS SELECT * FROM ratchet.claim((SELECT w.id FROM w));
CREATE TEMP TABLE child AS
SELECT ratchet.start_child((SELECT c.task FROM c), 'kid', 'wf', '{}') AS id;
SELECT ratchet.sleep((SELECT c.task FROM c), 'nap', '2029-12-31 00:00:00+00');

SELECT is(
    ratchet.checkpoint((SELECT c.task FROM c), 'kid', '"mine"'),
    jsonb_build_object('run', (SELECT child.id FROM child)),
    'a checkpoint named like a child step returns {"run": id}'
);
SELECT is(
    (ratchet.checkpoint((SELECT c.task FROM c), 'nap', '"mine"') ->> 'wake_at')::timestamptz,
    '2029-12-31 00:00:00+00'::timestamptz,
    'a checkpoint named like a sleep returns its wake_at'
);
SELECT is(
    ratchet.start_child((SELECT c.task FROM c), 'kid', 'wf', '{"other": 1}'),
    (SELECT child.id FROM child),
    'start_child again returns the same child'
);

SELECT is(
    ratchet.await_event((SELECT c.task FROM c), 'kid', 'go'),
    jsonb_build_object('run', (SELECT child.id FROM child)),
    'await_event on a used name returns the stored value instead of waiting'
);

SELECT * FROM finish();
ROLLBACK;
