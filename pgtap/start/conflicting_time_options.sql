-- run_at with delay, deadline with timeout, or a negative delay raise RT005.
BEGIN;
SELECT plan(5);

SELECT ratchet.register_workflow('wf');
CREATE TEMP TABLE before AS SELECT count(*) AS n FROM ratchet.runs;

SELECT throws_ok(
    $$SELECT ratchet.start(
        'wf', '{}', '{"run_at": "2030-01-01 00:00:00+00", "delay": 5}'
    )$$,
    'RT005', NULL, 'run_at and delay together'
);
SELECT throws_ok(
    $$SELECT ratchet.start(
        'wf', '{}',
        '{"deadline": "2030-01-01 00:00:00+00", "timeout": "1 hour"}'
    )$$,
    'RT005', NULL, 'deadline and timeout together'
);
SELECT throws_ok(
    $$SELECT ratchet.start('wf', '{}', '{"delay": -1}')$$,
    'RT005', NULL, 'a negative delay'
);
SELECT throws_ok(
    $$SELECT ratchet.start('wf', '{}', '{"run_at": "not a time"}')$$,
    'RT005', NULL, 'a run_at that is not a timestamp'
);
SELECT is(
    (SELECT count(*) FROM ratchet.runs), (SELECT b.n FROM before AS b),
    'no run was written'
);

SELECT * FROM finish();
ROLLBACK;
