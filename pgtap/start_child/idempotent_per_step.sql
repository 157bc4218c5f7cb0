-- start_child is idempotent per (run, step), also across attempts.
BEGIN;
SELECT plan(4);

SET LOCAL "ratchet.fake_now" = '2030-01-01 00:00:00+00';
SELECT ratchet.create_queue('q', '{"backoff": {"initial": 1, "jitter": 0}}');
SELECT ratchet.create_queue('q_kids');
SELECT ratchet.register_workflow('wf', '{"queue": "q"}');
SELECT ratchet.register_workflow('wf_kid', '{"queue": "q_kids"}');
CREATE TEMP TABLE w AS SELECT ratchet.register_worker('w1', ARRAY['q']) AS id;
CREATE TEMP TABLE r AS SELECT ratchet.start('wf') AS id;
CREATE TEMP TABLE c1 AS SELECT * FROM ratchet.claim((SELECT w.id FROM w));
CREATE TEMP TABLE kid AS
SELECT ratchet.start_child((SELECT c1.task FROM c1), 'kid', 'wf_kid', '{}') AS id;

SELECT is(
    ratchet.start_child((SELECT c1.task FROM c1), 'kid', 'wf_kid', '{}'),
    (SELECT kid.id FROM kid),
    'the same step returns the same child'
);
SELECT ratchet.fail((SELECT c1.task FROM c1), '{"e": 1}');
SET LOCAL "ratchet.fake_now" = '2030-01-01 00:01:00+00';
CREATE TEMP TABLE c2 AS SELECT * FROM ratchet.claim((SELECT w.id FROM w));
SELECT is(
    (SELECT c2.checkpoints FROM c2) -> 'kid',
    jsonb_build_object('run', (SELECT kid.id FROM kid)),
    'the step records {"run": id}'
);
SELECT is(
    ratchet.start_child((SELECT c2.task FROM c2), 'kid', 'wf_kid', '{}'),
    (SELECT kid.id FROM kid),
    'a replay in the next attempt returns the same child'
);
SELECT is(
    (SELECT count(*) FROM ratchet.runs WHERE parent = (SELECT r.id FROM r)),
    1::bigint,
    'one child in all'
);

SELECT * FROM finish();
ROLLBACK;
