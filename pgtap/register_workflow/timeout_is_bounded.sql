-- A workflow timeout is at most 100 years (D14): past it is RT005 naming the
-- bound, so no start can later overflow its deadline (22008).
BEGIN;
SELECT plan(4);

SELECT ratchet.create_queue('q');
SELECT ratchet.register_workflow('wf', '{"queue": "q", "timeout": "1 hour"}');

SELECT throws_ok(
    $$SELECT ratchet.register_workflow('wf', '{"timeout": "1000000 years"}')$$,
    'RT005', 'option timeout must be at most 100 years, got "1000000 years"',
    'a timeout of 1000000 years'
);
SELECT throws_ok(
    $$SELECT ratchet.register_workflow('wf2', '{"queue": "q", "timeout": 1e15}')$$,
    'RT005', 'option timeout must be at most 100 years, got 1000000000000000',
    'a timeout of 1e15 seconds'
);
SELECT is(
    (SELECT array_agg(timeout ORDER BY name) FROM ratchet.workflows WHERE name LIKE 'wf%'),
    ARRAY[interval '1 hour'],
    'nothing was written'
);
SELECT lives_ok(
    $$SELECT ratchet.register_workflow('wf', '{"timeout": "100 years"}'), ratchet.start('wf')$$,
    'a timeout of 100 years is accepted and a start computes its deadline'
);

SELECT * FROM finish();
ROLLBACK;
