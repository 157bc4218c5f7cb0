-- A worker id and its tasks belong to the role that registered the worker:
-- another role's calls on them are refused with 42501 and change nothing.
BEGIN;
SELECT plan(10);

CREATE ROLE t_wa;
CREATE ROLE t_wb;
GRANT ratchet_worker TO t_wa, t_wb;
SELECT ratchet.create_queue('q');
SELECT ratchet.register_workflow('wf', '{"queue": "q"}');
SELECT ratchet.grant_queue('q', 't_wa', '{work}');
SELECT ratchet.grant_queue('q', 't_wb', '{work}');
SELECT ratchet.start('wf');
CREATE TEMP TABLE ids (worker bigint, task bigint);
GRANT ALL ON ids TO t_wa, t_wb;

SET LOCAL ROLE t_wa;
INSERT INTO ids (worker) SELECT ratchet.register_worker('a', ARRAY['q']);
UPDATE ids SET task = (SELECT c.task FROM ratchet.claim((SELECT ids.worker FROM ids)) AS c);
SET LOCAL ROLE t_wb;
SELECT throws_ok(
    format('SELECT * FROM ratchet.claim(%s)', (SELECT ids.worker FROM ids)), '42501', NULL,
    'claim with another role''s worker id'
);
SELECT throws_ok(
    format('SELECT ratchet.heartbeat(%s)', (SELECT ids.worker FROM ids)), '42501', NULL,
    'heartbeat of another role''s worker'
);
SELECT throws_ok(
    format('SELECT ratchet.deregister_worker(%s)', (SELECT ids.worker FROM ids)), '42501', NULL,
    'deregister of another role''s worker'
);
SELECT throws_ok(
    format('SELECT ratchet.checkpoint(%s, %L, %L)', (SELECT ids.task FROM ids), 's', '1'),
    '42501', NULL, 'checkpoint on another role''s task'
);
SELECT throws_ok(
    format('SELECT ratchet.complete(%s)', (SELECT ids.task FROM ids)), '42501', NULL,
    'complete of another role''s task'
);
SELECT throws_ok(
    format('SELECT ratchet.fail(%s, %L)', (SELECT ids.task FROM ids), '{}'), '42501', NULL,
    'fail of another role''s task'
);
SELECT throws_ok(
    format('SELECT ratchet.complete_many(ARRAY[%s])', (SELECT ids.task FROM ids)), '42501', NULL,
    'complete_many with another role''s task'
);
SELECT throws_ok(
    format(
        'SELECT ratchet.await_runs(%s, %L, ARRAY[%s]::bigint[])',
        (SELECT ids.task FROM ids), 's', (SELECT r.id FROM ratchet.runs AS r)
    ),
    '42501', NULL, 'await_runs on another role''s task does not reveal its run'
);
RESET ROLE;
SELECT is(
    (SELECT status FROM ratchet.runs), 'running', 'the run is still held by its worker'
);
SET LOCAL ROLE t_wa;
SELECT lives_ok(
    format('SELECT ratchet.complete(%s)', (SELECT ids.task FROM ids)),
    'the owner completes its task'
);
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
