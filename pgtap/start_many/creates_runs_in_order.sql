-- start_many creates one run per element and returns the ids in input order.
BEGIN;
SELECT plan(4);

SELECT ratchet.register_workflow('wf');
CREATE TEMP TABLE ids AS
SELECT
    s.id,
    row_number() OVER () AS n
FROM ratchet.start_many('wf', '[{"n": 1}, {"n": 2}, null, {"n": 4}]') AS s (id);

SELECT is((SELECT count(*) FROM ids), 4::bigint, 'four runs');
SELECT is(
    (SELECT count(DISTINCT ids.id) FROM ids), 4::bigint, 'four distinct ids'
);
SELECT is(
    (
        SELECT array_agg(runs.input ORDER BY ids.n)
        FROM ids INNER JOIN ratchet.runs ON ids.id = runs.id
    ),
    ARRAY['{"n": 1}', '{"n": 2}', '{}', '{"n": 4}']::jsonb[],
    'inputs in order; a null element means {}'
);
SELECT is(
    (
        SELECT array_agg(DISTINCT runs.status)
        FROM ids INNER JOIN ratchet.runs ON ids.id = runs.id
    ),
    ARRAY['queued'],
    'all queued'
);

SELECT * FROM finish();
ROLLBACK;
