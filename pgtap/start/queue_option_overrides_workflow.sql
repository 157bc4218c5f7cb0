-- The queue start option overrides the workflow's queue.
BEGIN;
SELECT plan(3);

SELECT ratchet.create_queue('q_home');
SELECT ratchet.create_queue('q_other');
SELECT ratchet.register_workflow('wf', '{"queue": "q_home"}');
CREATE TEMP TABLE r AS
SELECT
    ratchet.start('wf') AS home,
    ratchet.start('wf', '{}', '{"queue": "q_other"}') AS other;

SELECT is(runs.queue, 'q_home', 'default: the workflow queue')
FROM ratchet.runs INNER JOIN r ON runs.id = r.home;
SELECT is(runs.queue, 'q_other', 'the start option wins')
FROM ratchet.runs INNER JOIN r ON runs.id = r.other;

CREATE TEMP TABLE w AS
SELECT ratchet.register_worker('w1', ARRAY['q_other']) AS id;
SELECT is(
    (SELECT c.run FROM ratchet.claim((SELECT w.id FROM w), 10) AS c),
    (SELECT r.other FROM r),
    'a worker on q_other claims only that run'
);

SELECT * FROM finish();
ROLLBACK;
