-- A producer acts only on the queues it was granted, sees only their runs,
-- and cannot touch the tables.
BEGIN;
SELECT plan(10);

CREATE ROLE t_app;
GRANT ratchet_producer TO t_app;
SELECT ratchet.create_queue('mine');
SELECT ratchet.create_queue('theirs');
SELECT ratchet.register_workflow('wf_mine', '{"queue": "mine"}');
SELECT ratchet.register_workflow('wf_theirs', '{"queue": "theirs"}');
SELECT ratchet.grant_queue('mine', 't_app', '{produce}');
CREATE TEMP TABLE r AS SELECT ratchet.start('wf_theirs') AS theirs;
GRANT SELECT ON r TO t_app;

SET LOCAL ROLE t_app;
SELECT lives_ok($$SELECT ratchet.start('wf_mine')$$, 'start on a granted queue');
SELECT throws_ok(
    $$SELECT ratchet.start('wf_theirs')$$, '42501', NULL, 'start elsewhere is refused'
);
SELECT throws_ok(
    $$SELECT ratchet.start('wf_mine', '{}', '{"queue": "theirs"}')$$, '42501', NULL,
    'a queue option cannot route around the grant'
);
SELECT throws_ok(
    format('SELECT ratchet.cancel(%s)', (SELECT r.theirs FROM r)), '42501', NULL,
    'cancel of another queue''s run is refused'
);
SELECT throws_ok(
    format('SELECT ratchet.signal(%s, %L)', (SELECT r.theirs FROM r), 'go'), '42501', NULL,
    'signal to another queue''s run is refused'
);
SELECT is(
    (SELECT array_agg(DISTINCT runs.queue) FROM ratchet.runs),
    ARRAY['mine'], 'ratchet.runs shows only the granted queue'
);
SELECT is(
    (SELECT array_agg(s.queue) FROM ratchet.queue_stats AS s),
    ARRAY['mine'], 'queue_stats shows only the granted queue'
);
SELECT throws_ok(
    $$SELECT count(*) FROM ratchet.history$$, '42501', NULL, 'no direct table access'
);
SELECT throws_ok(
    $$SELECT ratchet.create_queue('new_queue')$$, '42501', NULL,
    'only an admin creates queues'
);
SELECT throws_ok(
    $$SELECT ratchet.configure('max_payload_bytes', '99999999')$$, '42501', NULL,
    'only an admin changes settings'
);
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
