-- deadline or timeout bound the run from its creation; the claim carries it.
BEGIN;
SELECT plan(4);

SET LOCAL "ratchet.fake_now" = '2030-01-01 00:00:00+00';
SELECT ratchet.create_queue('q');
SELECT ratchet.register_workflow('wf', '{"queue": "q"}');
SELECT ratchet.register_workflow(
    'wf_timeout', '{"queue": "q", "timeout": "2 hours"}'
);
CREATE TEMP TABLE r AS
SELECT
    ratchet.start('wf', '{}', '{"timeout": "1 hour"}') AS by_timeout,
    ratchet.start('wf', '{}', '{"timeout": 90}') AS by_seconds,
    ratchet.start(
        'wf', '{}', '{"deadline": "2030-01-02 00:00:00+00"}'
    ) AS by_deadline,
    ratchet.start('wf_timeout', '{}') AS by_workflow;
CREATE TEMP TABLE w AS SELECT ratchet.register_worker('w1', ARRAY['q']) AS id;
SET LOCAL "ratchet.fake_now" = '2030-01-01 00:00:30+00';
CREATE TEMP TABLE c AS SELECT * FROM ratchet.claim((SELECT w.id FROM w), 10);

SELECT
    is(
        c.deadline, '2030-01-01 01:00:00+00'::timestamptz,
        'timeout counts from creation, not from the claim'
    )
FROM c INNER JOIN r ON c.run = r.by_timeout;
SELECT
    is(
        c.deadline, '2030-01-01 00:01:30+00'::timestamptz,
        'timeout 90 means 90 seconds'
    )
FROM c INNER JOIN r ON c.run = r.by_seconds;
SELECT
    is(
        c.deadline, '2030-01-02 00:00:00+00'::timestamptz, 'deadline as given'
    )
FROM c INNER JOIN r ON c.run = r.by_deadline;
SELECT
    is(
        c.deadline, '2030-01-01 02:00:00+00'::timestamptz,
        'the workflow timeout applies when start gives none'
    )
FROM c INNER JOIN r ON c.run = r.by_workflow;

SELECT * FROM finish();
ROLLBACK;
