-- A step result over the max_payload_bytes setting raises RT005 and is not stored.
BEGIN;
SELECT plan(2);

SELECT ratchet.create_queue('q');
SELECT ratchet.register_workflow('wf', '{"queue": "q"}');
CREATE TEMP TABLE w AS SELECT ratchet.register_worker('w1', ARRAY['q']) AS id;
SELECT ratchet.start('wf');
CREATE TEMP TABLE c AS SELECT * FROM ratchet.claim((SELECT w.id FROM w));
SELECT ratchet.configure('max_payload_bytes', '1024');

SELECT throws_ok(
    format(
        'SELECT ratchet.checkpoint(%s, %L, %L)',
        (SELECT c.task FROM c), 'big', jsonb_build_object('b', repeat('x', 2000))
    ),
    'RT005', NULL, 'a 200-byte result'
);
SELECT is(
    ratchet.checkpoint((SELECT c.task FROM c), 'big', '"small"'), '"small"'::jsonb,
    'the step was not recorded: a smaller result is the first writer'
);

SELECT * FROM finish();
ROLLBACK;
