-- claim never hands out a run whose deadline has passed, even before a tick.
BEGIN;
SELECT plan(2);

SET LOCAL "ratchet.fake_now" = '2030-01-01 00:00:00+00';
SELECT ratchet.create_queue('q');
SELECT ratchet.register_workflow('wf', '{"queue": "q"}');
CREATE TEMP TABLE w AS SELECT ratchet.register_worker('w1', ARRAY['q']) AS id;
CREATE TEMP TABLE r AS
SELECT
    ratchet.start('wf', '{}', '{"delay": 120, "timeout": 60}') AS too_late,
    ratchet.start('wf', '{}', '{"delay": 120}') AS in_time;

SET LOCAL "ratchet.fake_now" = '2030-01-01 00:02:00+00';
CREATE TEMP TABLE c AS SELECT * FROM ratchet.claim((SELECT w.id FROM w), 10);
SELECT is(
    (SELECT array_agg(c.run) FROM c), (SELECT ARRAY[r.in_time] FROM r),
    'only the run still within its deadline'
);
SELECT ratchet.tick();
SELECT
    ok(
        runs.status = 'failed' AND runs.error @> '{"deadline_exceeded": true}',
        'the late run ends failed with deadline_exceeded'
    )
FROM ratchet.runs INNER JOIN r ON runs.id = r.too_late;

SELECT * FROM finish();
ROLLBACK;
