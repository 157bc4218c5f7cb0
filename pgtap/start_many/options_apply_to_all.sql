-- The options of start_many apply to every run of the batch.
BEGIN;
SELECT plan(3);

SELECT ratchet.create_queue('q');
SELECT ratchet.register_workflow('wf');
CREATE TEMP TABLE ids AS
SELECT s.id
FROM ratchet.start_many(
    'wf', '[{}, {}, {}]',
    '{"queue": "q", "priority": 5, "tags": {"batch": "b1"}}'
) AS s (id);

SELECT is(
    (
        SELECT array_agg(DISTINCT runs.queue)
        FROM ids INNER JOIN ratchet.runs ON ids.id = runs.id
    ),
    ARRAY['q'],
    'all on queue q'
);
SELECT is(
    (
        SELECT array_agg(DISTINCT runs.priority::int)
        FROM ids INNER JOIN ratchet.runs ON ids.id = runs.id
    ),
    ARRAY[5],
    'all with priority 5'
);
SELECT is(
    (
        SELECT count(*)
        FROM ids INNER JOIN ratchet.runs ON ids.id = runs.id
        WHERE runs.tags = '{"batch": "b1"}'
    ),
    3::bigint,
    'all tagged'
);

SELECT * FROM finish();
ROLLBACK;
