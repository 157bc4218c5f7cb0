-- await_runs suspends the run until the last awaited run finishes.
BEGIN;
SELECT plan(9);

SELECT ratchet.create_queue('q');
SELECT ratchet.create_queue('q_kids');
SELECT ratchet.register_workflow('wf', '{"queue": "q"}');
SELECT ratchet.register_workflow('wf_kid', '{"queue": "q_kids"}');
CREATE TEMP TABLE w AS
SELECT
    ratchet.register_worker('w1', ARRAY['q']) AS id,
    ratchet.register_worker('w2', ARRAY['q_kids']) AS kids;
CREATE TEMP TABLE r AS SELECT ratchet.start('wf') AS id;
CREATE TEMP TABLE c1 AS SELECT * FROM ratchet.claim((SELECT w.id FROM w));
CREATE TEMP TABLE k AS
SELECT
    ratchet.start_child((SELECT c1.task FROM c1), 'a', 'wf_kid', '{}') AS a,
    ratchet.start_child((SELECT c1.task FROM c1), 'b', 'wf_kid', '{}') AS b;

SELECT ok(
    ratchet.await_runs(
        (SELECT c1.task FROM c1), 'join', (SELECT ARRAY[k.a, k.b] FROM k)
    ) IS NULL,
    'null while the children run'
);
SELECT is(runs.status, 'waiting', 'the parent waits')
FROM ratchet.runs INNER JOIN r ON runs.id = r.id;
SELECT throws_ok(
    $$SELECT ratchet.complete((SELECT c1.task FROM c1))$$,
    'RT001', NULL, 'its task ended'
);

CREATE TEMP TABLE ck AS SELECT * FROM ratchet.claim((SELECT w.kids FROM w), 10);
SELECT ratchet.complete((SELECT ck.task FROM ck INNER JOIN k ON ck.run = k.a), '"A"');
SELECT is(runs.status, 'waiting', 'one child done: still waiting')
FROM ratchet.runs INNER JOIN r ON runs.id = r.id;
SELECT is(
    (SELECT count(*) FROM ratchet.claim((SELECT w.id FROM w), 10)), 0::bigint,
    'and not claimable'
);

SELECT ratchet.complete((SELECT ck.task FROM ck INNER JOIN k ON ck.run = k.b), '"B"');
CREATE TEMP TABLE c2 AS SELECT * FROM ratchet.claim((SELECT w.id FROM w));
SELECT is((SELECT c2.run FROM c2), (SELECT r.id FROM r), 'claimable after the last');
SELECT is((SELECT c2.attempt FROM c2), 1, 'same attempt');
SELECT is(
    (
        SELECT jsonb_agg(e -> 'output')
        FROM jsonb_array_elements((SELECT c2.checkpoints -> 'join' FROM c2)) AS e
    ),
    '["A", "B"]'::jsonb,
    'the recorded step holds both outputs in order'
);
SELECT is(
    ratchet.await_runs((SELECT c2.task FROM c2), 'join', (SELECT ARRAY[k.a, k.b] FROM k)),
    (SELECT c2.checkpoints -> 'join' FROM c2),
    'the replay returns the recorded array'
);

SELECT * FROM finish();
ROLLBACK;
