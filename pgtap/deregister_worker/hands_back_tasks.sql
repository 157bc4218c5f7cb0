-- deregister_worker hands unfinished tasks back and returns how many.
BEGIN;
SELECT plan(8);

SET LOCAL "ratchet.fake_now" = '2030-01-01 00:00:00+00';
SELECT ratchet.create_queue('q');
SELECT ratchet.register_workflow('wf', '{"queue": "q"}');
CREATE TEMP TABLE w AS
SELECT
    ratchet.register_worker('w1', ARRAY['q']) AS id,
    ratchet.register_worker('w2', ARRAY['q']) AS other;
SELECT ratchet.start('wf') FROM generate_series(1, 3);
CREATE TEMP TABLE c AS SELECT * FROM ratchet.claim((SELECT w.id FROM w), 3);
SELECT ratchet.complete((SELECT min(c.task) FROM c));

SELECT is(
    ratchet.deregister_worker((SELECT w.id FROM w)), 2,
    'two unfinished tasks handed back'
);
SELECT is(
    (
        SELECT count(*) FROM ratchet.runs
        WHERE id IN (SELECT c.run FROM c) AND status = 'queued'
    ),
    2::bigint,
    'their runs are queued again'
);
SELECT is(
    (
        SELECT count(*) FROM ratchet.runs
        WHERE id IN (SELECT c.run FROM c) AND attempt = 1
    ),
    3::bigint,
    'a hand-back does not count as an attempt'
);
SELECT ok(
    (
        SELECT
            bool_and(EXISTS (
                SELECT 1 FROM ratchet.run_history(c.run) AS h
                WHERE h.kind = 'handed_back'
            ))
        FROM c
        WHERE c.task <> (SELECT min(c2.task) FROM c AS c2)
    ),
    'each hand-back is in the history'
);
SELECT throws_ok(
    $$SELECT ratchet.complete((SELECT max(c.task) FROM c))$$,
    'RT001', NULL, 'a handed-back task is no longer held'
);
SELECT is(
    (SELECT count(*) FROM ratchet.claim((SELECT w.other FROM w), 10)), 2::bigint,
    'another worker claims them at once'
);
SELECT throws_ok(
    $$SELECT * FROM ratchet.claim((SELECT w.id FROM w))$$,
    'RT007', NULL, 'the deregistered worker cannot claim'
);
SELECT is(
    ratchet.deregister_worker((SELECT w.other FROM w)), 2,
    'the second worker hands back its two'
);

SELECT * FROM finish();
ROLLBACK;
