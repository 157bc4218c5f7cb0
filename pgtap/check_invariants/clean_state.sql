-- check_invariants returns no rows while the engine alone changes its tables:
-- on a fresh install, with a run in every status, after a fan-in wakes its
-- waiter, and after tick purges everything past retention.
BEGIN;
SELECT plan(5);

SET LOCAL "ratchet.fake_now" = '2030-01-01 00:00:00+00';
SELECT is_empty('SELECT * FROM ratchet.check_invariants()', 'a fresh install is consistent');

SELECT ratchet.create_queue('q', '{"max_attempts": 1, "retention": "1 day"}');
SELECT ratchet.create_queue('q_kids', '{"retention": "1 day"}');
SELECT ratchet.register_workflow('wf', '{"queue": "q"}');
SELECT ratchet.register_workflow('wf_kid', '{"queue": "q_kids"}');
CREATE TEMP TABLE w AS
SELECT
    ratchet.register_worker('w1', ARRAY['q']) AS id,
    ratchet.register_worker('w2', ARRAY['q_kids']) AS kids;
SELECT ratchet.start('wf', jsonb_build_object('n', g)) FROM generate_series(1, 7) AS g;
CREATE TEMP TABLE c AS
SELECT
    x.*,
    (x.input ->> 'n')::int AS n
FROM ratchet.claim((SELECT w.id FROM w), 7) AS x;
SELECT ratchet.start('wf', '{"n": 8}');
-- 1 running, 2 completed, 3 failed, 4 sleeping, 5 waiting for an event,
-- 6 waiting for a child, 7 cancelled, 8 queued, the child queued.
SELECT ratchet.complete((SELECT c.task FROM c WHERE c.n = 2), '{"ok": true}');
SELECT ratchet.fail((SELECT c.task FROM c WHERE c.n = 3), '{"e": 1}');
SELECT ratchet.sleep((SELECT c.task FROM c WHERE c.n = 4), 'nap', '2030-01-02 00:00:00+00');
SELECT ratchet.await_event((SELECT c.task FROM c WHERE c.n = 5), 'ask', 'answer');
CREATE TEMP TABLE k AS
SELECT ratchet.start_child((SELECT c.task FROM c WHERE c.n = 6), 'kid', 'wf_kid', '{}') AS id;
SELECT ratchet.await_runs(
    (SELECT c.task FROM c WHERE c.n = 6), 'join', ARRAY[(SELECT k.id FROM k)]
);
SELECT ratchet.cancel((SELECT c.run FROM c WHERE c.n = 7));
SELECT is(
    (SELECT count(DISTINCT r.status) FROM ratchet.runs AS r), 7::bigint,
    'the setup has a run in every status'
);
SELECT is_empty('SELECT * FROM ratchet.check_invariants()', 'a run in every status is consistent');

SELECT ratchet.complete((SELECT x.task FROM ratchet.claim((SELECT w.kids FROM w)) AS x));
SELECT ratchet.signal((SELECT c.run FROM c WHERE c.n = 5), 'answer', '{"yes": true}');
SELECT is_empty(
    'SELECT * FROM ratchet.check_invariants()',
    'consistent after the child wakes its waiter and a signal wakes the other'
);

SET LOCAL "ratchet.fake_now" = '2030-03-01 00:00:00+00';
SELECT ratchet.tick();
SELECT ratchet.tick();
SELECT is_empty(
    'SELECT * FROM ratchet.check_invariants()',
    'consistent after tick reclaims, wakes and purges'
);

SELECT * FROM finish();
ROLLBACK;
