-- tags is a JSON object stored on the run; anything else raises RT005.
BEGIN;
SELECT plan(3);

SELECT ratchet.register_workflow('wf');
CREATE TEMP TABLE r AS
SELECT ratchet.start('wf', '{}', '{"tags": {"team": "ml", "n": 2}}') AS id;

SELECT is(runs.tags, '{"team": "ml", "n": 2}'::jsonb, 'tags stored')
FROM ratchet.runs INNER JOIN r ON runs.id = r.id;
SELECT throws_ok(
    $$SELECT ratchet.start('wf', '{}', '{"tags": ["a", "b"]}')$$,
    'RT005', NULL, 'tags as an array'
);
SELECT throws_ok(
    $$SELECT ratchet.start('wf', '{}', '{"tags": "a"}')$$,
    'RT005', NULL, 'tags as a string'
);

SELECT * FROM finish();
ROLLBACK;
