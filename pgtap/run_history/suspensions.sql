-- Sleeping, waiting for an event and its arrival appear in the history.
BEGIN;
SELECT plan(4);

SET LOCAL "ratchet.fake_now" = '2030-01-01 00:00:00+00';
SELECT ratchet.create_queue('q');
SELECT ratchet.register_workflow('wf', '{"queue": "q"}');
CREATE TEMP TABLE w AS SELECT ratchet.register_worker('w1', ARRAY['q']) AS id;
CREATE TEMP TABLE r AS SELECT ratchet.start('wf') AS id;
CREATE TEMP TABLE c1 AS SELECT * FROM ratchet.claim((SELECT w.id FROM w));
SELECT ratchet.sleep((SELECT c1.task FROM c1), 'nap', '2030-01-01 00:01:00+00');
SET LOCAL "ratchet.fake_now" = '2030-01-01 00:01:00+00';
CREATE TEMP TABLE c2 AS SELECT * FROM ratchet.claim((SELECT w.id FROM w));
SELECT ratchet.await_event((SELECT c2.task FROM c2), 'approval', 'approved');
SELECT ratchet.signal((SELECT r.id FROM r), 'approved', '{"by": "ann"}');
CREATE TEMP TABLE h AS SELECT * FROM ratchet.run_history((SELECT r.id FROM r));

-- Order of the suspension kinds, ignoring any other entries in between.
SELECT is(
    (
        SELECT array_agg(h.kind ORDER BY h.seq) FROM h
        WHERE h.kind IN ('created', 'sleeping', 'waiting', 'signal')
    ),
    ARRAY['created', 'sleeping', 'waiting', 'signal'],
    'created, sleeping, waiting, signal in order'
);
SELECT is(
    (SELECT h.step FROM h WHERE h.kind = 'sleeping'), 'nap',
    'the sleeping entry names its step'
);
SELECT is(
    (SELECT h.step FROM h WHERE h.kind = 'waiting'), 'approval',
    'the waiting entry names its step'
);
SELECT is(
    (SELECT count(*) FROM h WHERE h.kind = 'claimed'), 2::bigint,
    'claimed twice'
);

SELECT * FROM finish();
ROLLBACK;
