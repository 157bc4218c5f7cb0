-- A worker registered with workflows claims only runs of those workflows.
BEGIN;
SELECT plan(3);

SELECT ratchet.create_queue('q');
SELECT ratchet.register_workflow('wf_a', '{"queue": "q"}');
SELECT ratchet.register_workflow('wf_b', '{"queue": "q"}');
SELECT ratchet.start('wf_a');
SELECT ratchet.start('wf_b');
SELECT ratchet.start('wf_b');
CREATE TEMP TABLE w AS
SELECT
    ratchet.register_worker('only_b', ARRAY['q'], ARRAY['wf_b']) AS only_b,
    ratchet.register_worker('any', ARRAY['q'], NULL) AS any_wf;

CREATE TEMP TABLE c AS SELECT * FROM ratchet.claim((SELECT w.only_b FROM w), 10);
SELECT is((SELECT count(*) FROM c), 2::bigint, 'two runs of wf_b');
SELECT is(
    (SELECT array_agg(DISTINCT c.workflow) FROM c), ARRAY['wf_b'],
    'and nothing else'
);
SELECT is(
    (SELECT c2.workflow FROM ratchet.claim((SELECT w.any_wf FROM w), 10) AS c2),
    'wf_a',
    'a worker without a filter takes the rest'
);

SELECT * FROM finish();
ROLLBACK;
