-- A payload over the max_payload_bytes setting raises RT005.
BEGIN;
SELECT plan(2);

SELECT ratchet.register_workflow('wf');
CREATE TEMP TABLE r AS SELECT ratchet.start('wf') AS id;
SELECT ratchet.configure('max_payload_bytes', '1024');

SELECT throws_ok(
    format(
        'SELECT ratchet.signal(%s, %L, %L)',
        (SELECT r.id FROM r), 'go', jsonb_build_object('b', repeat('x', 2000))
    ),
    'RT005', NULL, 'a 200-byte payload'
);
SELECT is(
    (
        SELECT count(*) FROM ratchet.run_history((SELECT r.id FROM r)) AS h
        WHERE h.kind = 'signal'
    ),
    0::bigint,
    'no signal recorded'
);

SELECT * FROM finish();
ROLLBACK;
