-- Options with values of the wrong kind raise RT005 and change nothing.
BEGIN;
SELECT plan(10);

SELECT throws_ok(
    $$SELECT ratchet.create_queue('q', '{"lease": "banana"}')$$,
    'RT005', NULL, 'a lease that is not a duration'
);
SELECT throws_ok(
    $$SELECT ratchet.create_queue('q', '{"lease": -5}')$$,
    'RT005', NULL, 'a negative lease'
);
SELECT throws_ok(
    $$SELECT ratchet.create_queue('q', '{"concurrency": -1}')$$,
    'RT005', NULL, 'a negative concurrency'
);
SELECT throws_ok(
    $$SELECT ratchet.create_queue('q', '{"concurrency": "two"}')$$,
    'RT005', NULL, 'a concurrency that is not a number'
);
SELECT throws_ok(
    $$SELECT ratchet.create_queue('q', '{"max_attempts": 0}')$$,
    'RT005', NULL, 'max_attempts below 1'
);
SELECT throws_ok(
    $$SELECT ratchet.create_queue('q', '{"durability": "maybe"}')$$,
    'RT005', NULL, 'durability other than sync or async'
);
SELECT throws_ok(
    $$SELECT ratchet.create_queue('q', '{"retention": "soon"}')$$,
    'RT005', NULL, 'a retention that is not a duration'
);

SELECT ratchet.create_queue('q', '{"concurrency": 1, "durability": "async"}');
SELECT throws_ok(
    $$SELECT ratchet.create_queue(
        'q', '{"concurrency": 3, "lease": "banana"}'
    )$$,
    'RT005', NULL, 'an update with one bad option'
);
SELECT is(
    (
        SELECT concurrency FROM ratchet.queue_stats
        WHERE queue = 'q'
    )::int, 1,
    'the failed update changed nothing'
);
SELECT lives_ok(
    $$SELECT ratchet.create_queue('q', '{"durability": "sync"}')$$,
    'durability sync'
);

SELECT * FROM finish();
ROLLBACK;
