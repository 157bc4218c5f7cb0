-- run_history lists every transition of a run in order.
BEGIN;
SELECT plan(5);

SET LOCAL "ratchet.fake_now" = '2030-01-01 00:00:00+00';
SELECT ratchet.create_queue('q');
SELECT ratchet.register_workflow('wf', '{"queue": "q"}');
CREATE TEMP TABLE w AS SELECT ratchet.register_worker('w1', ARRAY['q']) AS id;
CREATE TEMP TABLE r AS SELECT ratchet.start('wf') AS id;
SET LOCAL "ratchet.fake_now" = '2030-01-01 00:00:01+00';
CREATE TEMP TABLE c AS SELECT * FROM ratchet.claim((SELECT w.id FROM w));
SET LOCAL "ratchet.fake_now" = '2030-01-01 00:00:02+00';
SELECT ratchet.checkpoint((SELECT c.task FROM c), 'fetch', '{"rows": 3}');
SET LOCAL "ratchet.fake_now" = '2030-01-01 00:00:03+00';
SELECT ratchet.complete((SELECT c.task FROM c), '{"ok": true}');
CREATE TEMP TABLE h AS SELECT * FROM ratchet.run_history((SELECT r.id FROM r));

SELECT is(
    (SELECT array_agg(h.kind ORDER BY h.seq) FROM h),
    ARRAY['created', 'claimed', 'step', 'completed'],
    'created, claimed, step, completed'
);
SELECT is(
    (SELECT array_agg(h.at ORDER BY h.seq) FROM h),
    ARRAY[
        '2030-01-01 00:00:00+00', '2030-01-01 00:00:01+00',
        '2030-01-01 00:00:02+00', '2030-01-01 00:00:03+00'
    ]::timestamptz[],
    'each at the engine time it happened'
);
SELECT is(
    (SELECT h.step FROM h WHERE h.kind = 'step'), 'fetch',
    'the step entry names the step'
);
SELECT is(
    (SELECT count(DISTINCT h.seq) FROM h), 4::bigint, 'distinct seq numbers'
);
SELECT is_empty(
    $$SELECT * FROM ratchet.run_history(
        (SELECT r.id FROM r)
    ) WHERE kind = 'retrying'$$,
    'nothing that did not happen'
);

SELECT * FROM finish();
ROLLBACK;
