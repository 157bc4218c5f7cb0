-- Defect D10: a run buffers at most max_buffered_events unconsumed events;
-- past it signal raises RT005 and stores nothing. An event the run is
-- waiting for is consumed at once and always accepted.
BEGIN;
SELECT plan(9);

SELECT ratchet.create_queue('q');
SELECT ratchet.register_workflow('wf', '{"queue": "q"}');
CREATE TEMP TABLE r AS
SELECT
    ratchet.start('wf') AS id,
    ratchet.start('wf') AS flood;

-- The default limit: 1000.
SELECT ratchet.signal((SELECT r.flood FROM r), 'e', to_jsonb(i))
FROM generate_series(1, 1000) AS i;
SELECT throws_ok(
    format('SELECT ratchet.signal(%s, %L)', (SELECT r.flood FROM r), 'e'),
    'RT005', NULL, 'the 1001st buffered event is refused'
);

SELECT ratchet.configure('max_buffered_events', '3');
SELECT ratchet.signal((SELECT r.id FROM r), 'a', to_jsonb(i)) FROM generate_series(1, 3) AS i;
SELECT throws_ok(
    format('SELECT ratchet.signal(%s, %L)', (SELECT r.id FROM r), 'go'),
    'RT005',
    format(
        'run %s already has 3 unconsumed events, the limit (max_buffered_events)',
        (SELECT r.id FROM r)
    ),
    'a fourth buffered event is refused'
);
SELECT is(
    (SELECT count(*) FROM ratchet.events WHERE run_id = (SELECT r.id FROM r)), 3::bigint,
    'and not stored'
);
SELECT is(
    (
        SELECT count(*) FROM ratchet.run_history((SELECT r.id FROM r)) AS h
        WHERE h.kind = 'signal'
    ),
    3::bigint,
    'nor logged'
);

-- A consumed event frees its place.
CREATE TEMP TABLE w AS SELECT ratchet.register_worker('w1', ARRAY['q']) AS id;
CREATE TEMP TABLE c AS
SELECT cl.* FROM ratchet.claim((SELECT w.id FROM w), 2) AS cl
WHERE cl.run = (SELECT r.id FROM r);
SELECT is(
    ratchet.await_event((SELECT c.task FROM c), 's1', 'a'), '{"payload": 1}'::jsonb,
    'the oldest buffered event is consumed'
);
SELECT lives_ok(
    format('SELECT ratchet.signal(%s, %L)', (SELECT r.id FROM r), 'b'),
    'a consumed event frees its place'
);

-- The buffer is full again, but the awaited event is never buffered.
SELECT is(ratchet.await_event((SELECT c.task FROM c), 's2', 'go'), NULL, 'the run waits for go');
SELECT lives_ok(
    format('SELECT ratchet.signal(%s, %L, %L)', (SELECT r.id FROM r), 'go', '{"ok": true}'),
    'the awaited event is accepted with a full buffer'
);
SELECT is(
    (
        SELECT s.result FROM ratchet.steps AS s
        WHERE s.run_id = (SELECT r.id FROM r) AND s.name = 's2'
    ),
    '{"payload": {"ok": true}}'::jsonb,
    'and consumed by the waiting step'
);

SELECT * FROM finish();
ROLLBACK;
