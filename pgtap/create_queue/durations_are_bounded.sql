-- Every queue duration is bounded (D5): lease at most 1 day, retention and
-- backoff at most 100 years. Past the bound, or past what an interval holds,
-- is RT005 naming the option and the bound, never 22008, and writes nothing.
BEGIN;
SELECT plan(12);

SELECT ratchet.create_queue('q', '{"lease": "1 minute"}');
CREATE TEMP TABLE before AS SELECT * FROM ratchet.queues WHERE name = 'q';

SELECT throws_ok(
    $$SELECT ratchet.create_queue('q', '{"lease": "100000000 years"}')$$,
    'RT005', 'option lease must be at most 1 day, got "100000000 years"',
    'a lease of 100000000 years (the audit''s D5)'
);
SELECT throws_ok(
    $$SELECT ratchet.create_queue('q', '{"lease": 86401}')$$,
    'RT005', 'option lease must be at most 1 day, got 86401',
    'a lease one second over a day, in seconds'
);
SELECT throws_ok(
    $$SELECT ratchet.create_queue('q', '{"lease": 1e15}')$$,
    'RT005', 'option lease must be at most 1 day, got 1000000000000000',
    'a lease of 1e15 seconds is too long, not negative'
);
SELECT throws_ok(
    $$SELECT ratchet.create_queue('hl', '{"lease": "100000000 years"}')$$,
    'RT005', 'option lease must be at most 1 day, got "100000000 years"',
    'a new queue with such a lease is refused too'
);
SELECT throws_ok(
    $$SELECT ratchet.create_queue('q', '{"retention": "1000000000 years"}')$$,
    'RT005', 'option retention: "1000000000 years" is not a duration from 0 to 100 years',
    'a retention past what an interval holds'
);
SELECT throws_ok(
    $$SELECT ratchet.create_queue('q', '{"retention": "6916 years 8 months -2489913 days"}')$$,
    'RT005',
    'option retention must be at most 100 years, got "6916 years 8 months -2489913 days"',
    'a retention under 100 years in total but not in its parts'
);
SELECT throws_ok(
    $$SELECT ratchet.create_queue('q', '{"retention": 1e400}')$$,
    'RT005', NULL,
    'a retention past what a double holds'
);
SELECT throws_ok(
    $$SELECT ratchet.create_queue(
        'q', '{"backoff": {"initial": "101 years", "max": "101 years"}}'
    )$$,
    'RT005', 'option backoff.initial must be at most 100 years, got "101 years"',
    'a backoff.initial over 100 years'
);
SELECT throws_ok(
    $$SELECT ratchet.create_queue('q', '{"backoff": {"max": 3155760001}}')$$,
    'RT005', 'option backoff.max must be at most 100 years, got 3155760001',
    'a backoff.max one second over 100 years'
);
SELECT ok(
    (SELECT q = b FROM ratchet.queues AS q, before AS b WHERE q.name = 'q')
    AND NOT EXISTS (SELECT 1 FROM ratchet.queues WHERE name = 'hl'),
    'the refused calls wrote nothing'
);

SELECT lives_ok(
    $$SELECT ratchet.create_queue(
        'q',
        '{"lease": 86400, "retention": "100 years",
          "backoff": {"initial": "100 years", "max": 3155760000}}'
    )$$,
    'the bounds themselves are accepted'
);
SELECT is(
    (SELECT (lease, retention, backoff_initial) FROM ratchet.queues WHERE name = 'q'),
    (interval '1 day', interval '100 years', interval '100 years'),
    'and stored as given'
);

SELECT * FROM finish();
ROLLBACK;
