-- A step is written once: later writers get the stored result back.
BEGIN;
SELECT plan(5);

SELECT ratchet.create_queue('q');
SELECT ratchet.register_workflow('wf', '{"queue": "q"}');
CREATE TEMP TABLE w AS SELECT ratchet.register_worker('w1', ARRAY['q']) AS id;
CREATE TEMP TABLE r AS SELECT ratchet.start('wf') AS id;
CREATE TEMP TABLE c AS SELECT * FROM ratchet.claim((SELECT w.id FROM w));

SELECT is(
    ratchet.checkpoint((SELECT c.task FROM c), 'fetch', '{"rows": 3}'),
    '{"rows": 3}'::jsonb,
    'the first write returns its own result'
);
SELECT is(
    ratchet.checkpoint((SELECT c.task FROM c), 'fetch', '{"rows": 99}'),
    '{"rows": 3}'::jsonb,
    'a second write returns the first result'
);
SELECT is(
    ratchet.checkpoint((SELECT c.task FROM c), 'other', '"x"'),
    '"x"'::jsonb,
    'another step name is its own step'
);
SELECT is(
    (
        SELECT count(*) FROM ratchet.run_history((SELECT r.id FROM r)) AS h
        WHERE h.kind = 'step' AND h.step = 'fetch'
    ),
    1::bigint,
    'one step entry in the history'
);
SELECT throws_ok(
    $$SELECT ratchet.checkpoint((SELECT c.task FROM c), NULL, '1')$$,
    'RT005', NULL, 'a null step name'
);

SELECT * FROM finish();
ROLLBACK;
