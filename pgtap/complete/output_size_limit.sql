-- An output over the max_payload_bytes setting raises RT005; the task stays held.
BEGIN;
SELECT plan(3);

SELECT ratchet.create_queue('q');
SELECT ratchet.register_workflow('wf', '{"queue": "q"}');
CREATE TEMP TABLE w AS SELECT ratchet.register_worker('w1', ARRAY['q']) AS id;
CREATE TEMP TABLE r AS SELECT ratchet.start('wf') AS id;
CREATE TEMP TABLE c AS SELECT * FROM ratchet.claim((SELECT w.id FROM w));
SELECT ratchet.configure('max_payload_bytes', '1024');

SELECT throws_ok(
    format(
        'SELECT ratchet.complete(%s, %L)',
        (SELECT c.task FROM c), jsonb_build_object('blob', repeat('x', 2000))
    ),
    'RT005', NULL, 'a 200-byte output'
);
SELECT is(runs.status, 'running', 'the run is still running')
FROM ratchet.runs INNER JOIN r ON runs.id = r.id;
SELECT lives_ok(
    $$SELECT ratchet.complete((SELECT c.task FROM c), '{"ok": true}')$$,
    'the task can still complete with a small output'
);

SELECT * FROM finish();
ROLLBACK;
