-- start's time options are bounded (D14, D15): delay and timeout at most 100
-- years, run_at and deadline finite and at most 100 years ahead, the deadline
-- after now, timeout not 0. Each refusal is RT005 and writes nothing.
BEGIN;
SELECT plan(15);

SET LOCAL "ratchet.fake_now" = '2030-01-01 00:00:00+00';
SELECT ratchet.create_queue('q');
SELECT ratchet.register_workflow('wf', '{"queue": "q"}');

SELECT throws_ok(
    $$SELECT ratchet.start('wf', '{}', '{"delay": "1000000 years"}')$$,
    'RT005', 'option delay must be at most 100 years, got "1000000 years"',
    'a delay of 1000000 years'
);
SELECT throws_ok(
    $$SELECT ratchet.start('wf', '{}', '{"delay": 1e15}')$$,
    'RT005', 'option delay must be at most 100 years, got 1000000000000000',
    'a delay of 1e15 seconds is too long, not negative'
);
SELECT throws_ok(
    $$SELECT ratchet.start('wf', '{}', '{"delay": "100000000000 hours"}')$$,
    'RT005', 'option delay: "100000000000 hours" is not a duration from 0 to 100 years',
    'a delay past what an interval holds'
);
SELECT throws_ok(
    $$SELECT ratchet.start('wf', '{}', '{"timeout": "1000000 years"}')$$,
    'RT005', 'option timeout must be at most 100 years, got "1000000 years"',
    'a timeout of 1000000 years'
);
SELECT throws_ok(
    $$SELECT ratchet.start('wf', '{}', '{"timeout": 0}')$$,
    'RT005', 'start: option timeout must be longer than zero',
    'a timeout of 0'
);
SELECT throws_ok(
    $$SELECT ratchet.start('wf', '{}', '{"run_at": "infinity"}')$$,
    'RT005', 'option run_at: "infinity" is not a finite timestamp',
    'run_at infinity'
);
SELECT throws_ok(
    $$SELECT ratchet.start('wf', '{}', '{"run_at": "2130-01-01 00:00:01+00"}')$$,
    'RT005', 'start: option run_at must be at most 100 years ahead, got "2130-01-01 00:00:01+00"',
    'run_at more than 100 years ahead'
);
SELECT throws_ok(
    $$SELECT ratchet.start('wf', '{}', '{"run_at": "2030-01-01 00:00+99"}')$$,
    'RT005', 'option run_at: "2030-01-01 00:00+99" is not a finite timestamp',
    'run_at with an impossible offset'
);
SELECT throws_ok(
    $$SELECT ratchet.start('wf', '{}', '{"deadline": "-infinity"}')$$,
    'RT005', 'option deadline: "-infinity" is not a finite timestamp',
    'deadline -infinity'
);
SELECT throws_ok(
    $$SELECT ratchet.start('wf', '{}', '{"deadline": "2029-12-31 23:59:59+00"}')$$,
    'RT005',
    'start: option deadline must be after now (2030-01-01 00:00:00+00) and at most 100 years '
    'ahead, got "2029-12-31 23:59:59+00"',
    'a deadline in the past'
);
SELECT throws_ok(
    $$SELECT ratchet.start('wf', '{}', '{"deadline": "2030-01-01 00:00:00+00"}')$$,
    'RT005', NULL,
    'a deadline of now'
);
SELECT throws_ok(
    $$SELECT ratchet.start('wf', '{}', '{"deadline": "2130-01-01 00:00:01+00"}')$$,
    'RT005', NULL,
    'a deadline more than 100 years ahead'
);
SELECT is((SELECT count(*) FROM ratchet.runs), 0::bigint, 'the refused starts wrote nothing');

SELECT lives_ok(
    $$SELECT
        ratchet.start('wf', '{}', '{"delay": "100 years", "timeout": 3155760000}'),
        ratchet.start(
            'wf', '{}',
            '{"run_at": "2130-01-01 00:00:00+00", "deadline": "2130-01-01 00:00:00+00"}'
        ),
        ratchet.start('wf', '{}', '{"deadline": "2030-01-01 00:00:00.000001+00"}')$$,
    'the bounds themselves are accepted'
);
SELECT is((SELECT count(*) FROM ratchet.runs), 3::bigint, 'three runs');

SELECT * FROM finish();
ROLLBACK;
