-- Completing a run that failed before keeps the last failure's error and the
-- failure counts next to the output (every end goes through one helper that
-- must not clear them).
BEGIN;
SELECT plan(3);

SET LOCAL "ratchet.fake_now" = '2030-01-01 00:00:00+00';
SELECT ratchet.create_queue('q', '{"backoff": {"initial": 0, "jitter": 0}}');
SELECT ratchet.register_workflow('wf', '{"queue": "q"}');
CREATE TEMP TABLE w AS SELECT ratchet.register_worker('w1', ARRAY['q']) AS id;
CREATE TEMP TABLE r AS SELECT ratchet.start('wf') AS id;
CREATE TEMP TABLE c1 AS SELECT * FROM ratchet.claim((SELECT w.id FROM w));
SELECT ratchet.fail((SELECT c1.task FROM c1), '{"boom": 1}', 's');
CREATE TEMP TABLE c2 AS SELECT * FROM ratchet.claim((SELECT w.id FROM w));
SELECT ratchet.complete((SELECT c2.task FROM c2), '{"ok": true}');

SELECT is(
    (SELECT x.status FROM ratchet.runs AS x WHERE x.id = (SELECT r.id FROM r)),
    'completed',
    'the retried run completed'
);
SELECT is(
    (SELECT x.output FROM ratchet.runs AS x WHERE x.id = (SELECT r.id FROM r)),
    '{"ok": true}'::jsonb,
    'with its output'
);
SELECT is(
    (
        SELECT jsonb_build_array(x.error, x.failures) FROM ratchet.runs AS x
        WHERE x.id = (SELECT r.id FROM r)
    ),
    '[{"boom": 1}, {"s": 1}]'::jsonb,
    'and the last error and failure counts'
);

SELECT * FROM finish();
ROLLBACK;
