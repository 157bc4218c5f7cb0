-- A second start with the same workflow and key returns the first run.
BEGIN;
SELECT plan(5);

SELECT ratchet.register_workflow('wf');
SELECT ratchet.register_workflow('wf_other');
CREATE TEMP TABLE r AS
SELECT ratchet.start('wf', '{"n": 1}', '{"idempotency_key": "k1"}') AS id;
CREATE TEMP TABLE before AS SELECT count(*) AS n FROM ratchet.runs;

SELECT is(
    ratchet.start('wf', '{"n": 2}', '{"idempotency_key": "k1"}'),
    (SELECT r.id FROM r),
    'same workflow and key: the existing run id'
);
SELECT is(
    (SELECT count(*) FROM ratchet.runs), (SELECT b.n FROM before AS b),
    'and no new run'
);
SELECT is(runs.input, '{"n": 1}'::jsonb, 'the first input is kept')
FROM ratchet.runs INNER JOIN r ON runs.id = r.id;
SELECT isnt(
    ratchet.start('wf', '{}', '{"idempotency_key": "k2"}'),
    (SELECT r.id FROM r),
    'another key: another run'
);
SELECT isnt(
    ratchet.start('wf_other', '{}', '{"idempotency_key": "k1"}'),
    (SELECT r.id FROM r),
    'same key on another workflow: another run'
);

SELECT * FROM finish();
ROLLBACK;
