-- With every run finished, await_runs returns their outcomes in the given order.
BEGIN;
SELECT plan(3);

SELECT ratchet.create_queue('q');
SELECT ratchet.create_queue('q_kids', '{"max_attempts": 1}');
SELECT ratchet.register_workflow('wf', '{"queue": "q"}');
SELECT ratchet.register_workflow('wf_kid', '{"queue": "q_kids"}');
CREATE TEMP TABLE w AS
SELECT
    ratchet.register_worker('w1', ARRAY['q']) AS id,
    ratchet.register_worker('w2', ARRAY['q_kids']) AS kids;
SELECT ratchet.start('wf');
CREATE TEMP TABLE c AS SELECT * FROM ratchet.claim((SELECT w.id FROM w));
CREATE TEMP TABLE k AS
SELECT
    ratchet.start_child((SELECT c.task FROM c), 'a', 'wf_kid', '{"n": 1}') AS a,
    ratchet.start_child((SELECT c.task FROM c), 'b', 'wf_kid', '{"n": 2}') AS b;
CREATE TEMP TABLE ck AS SELECT * FROM ratchet.claim((SELECT w.kids FROM w), 10);
SELECT ratchet.complete((SELECT ck.task FROM ck INNER JOIN k ON ck.run = k.a), '{"out": 1}');
SELECT ratchet.fail((SELECT ck.task FROM ck INNER JOIN k ON ck.run = k.b), '{"err": 2}');

-- Asked for b before a: the array follows the order asked.
CREATE TEMP TABLE res AS
SELECT ratchet.await_runs(
    (SELECT c.task FROM c), 'join', (SELECT ARRAY[k.b, k.a] FROM k)
) AS v;

SELECT is(
    (SELECT res.v FROM res),
    (
        SELECT
            jsonb_build_array(
                jsonb_build_object(
                    'run', k.b, 'status', 'failed', 'output', NULL, 'error', '{"err": 2}'::jsonb
                ),
                jsonb_build_object(
                    'run', k.a, 'status', 'completed', 'output', '{"out": 1}'::jsonb, 'error', NULL
                )
            )
        FROM k
    ),
    'run, status, output, error for each run, in the order given'
);
SELECT is(
    ratchet.checkpoint((SELECT c.task FROM c), 'join', 'null'), (SELECT res.v FROM res),
    'the result is recorded as the step'
);
SELECT lives_ok(
    $$SELECT ratchet.complete((SELECT c.task FROM c))$$, 'the parent keeps its task'
);

SELECT * FROM finish();
ROLLBACK;
