-- An input over the max_payload_bytes setting raises RT005.
BEGIN;
SELECT plan(4);

SELECT ratchet.register_workflow('wf');
SELECT ratchet.configure('max_payload_bytes', '1024');
CREATE TEMP TABLE before AS SELECT count(*) AS n FROM ratchet.runs;

SELECT throws_ok(
    format(
        'SELECT ratchet.start(%L, %L)', 'wf',
        jsonb_build_object('blob', repeat('x', 2000))
    ),
    'RT005', NULL, 'a 200-byte input over a 100-byte limit'
);
SELECT throws_ok(
    format(
        'SELECT ratchet.start_many(%L, %L)', 'wf',
        jsonb_build_array('{}'::jsonb, jsonb_build_object('b', repeat('x', 2000)))
    ),
    'RT005', NULL, 'one element of start_many over the limit'
);
SELECT is(
    (SELECT count(*) FROM ratchet.runs), (SELECT b.n FROM before AS b),
    'no run was written'
);
SELECT lives_ok(
    $$SELECT ratchet.start('wf', '{"small": "yes"}')$$,
    'a small input is fine'
);

SELECT * FROM finish();
ROLLBACK;
