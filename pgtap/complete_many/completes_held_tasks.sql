-- complete_many completes every held task with its aligned output.
BEGIN;
SELECT plan(4);

SELECT ratchet.create_queue('q');
SELECT ratchet.register_workflow('wf', '{"queue": "q"}');
CREATE TEMP TABLE w AS SELECT ratchet.register_worker('w1', ARRAY['q']) AS id;
SELECT ratchet.start('wf', jsonb_build_object('n', i))
FROM generate_series(1, 3) AS i;
CREATE TEMP TABLE c AS SELECT * FROM ratchet.claim((SELECT w.id FROM w), 10);
CREATE TEMP TABLE batch AS
SELECT
    array_agg(c.task ORDER BY c.task) AS tasks,
    jsonb_agg(jsonb_build_object('out', c.input -> 'n') ORDER BY c.task)
        AS outputs
FROM c;

SELECT bag_eq(
    $$SELECT * FROM ratchet.complete_many(
        (SELECT b.tasks FROM batch AS b), (SELECT b.outputs FROM batch AS b)
    )$$,
    $$SELECT c.task FROM c$$,
    'returns every task id'
);
SELECT is(
    (SELECT count(*) FROM ratchet.runs WHERE status = 'completed'), 3::bigint,
    'three runs completed'
);
SELECT is(
    (
        SELECT count(*) FROM ratchet.runs
        WHERE status = 'completed' AND output = jsonb_build_object('out', input -> 'n')
    ),
    3::bigint,
    'each run got the output at its position'
);

SELECT ratchet.start('wf') FROM generate_series(1, 2);
CREATE TEMP TABLE c2 AS SELECT * FROM ratchet.claim((SELECT w.id FROM w), 10);
SELECT ratchet.complete_many((SELECT array_agg(c2.task) FROM c2));
SELECT is(
    (
        SELECT count(*) FROM ratchet.runs
        WHERE id IN (SELECT c2.run FROM c2) AND status = 'completed' AND output IS NULL
    ),
    2::bigint,
    'without outputs: completed with a null output'
);

SELECT * FROM finish();
ROLLBACK;
