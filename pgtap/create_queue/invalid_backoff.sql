-- factor >= 1, 0 <= jitter <= 1, max >= initial; else RT005.
BEGIN;
SELECT plan(10);

SELECT throws_ok(
    $$SELECT ratchet.create_queue('q', '{"backoff": {"factor": 0.5}}')$$,
    'RT005', NULL, 'factor below 1'
);
SELECT throws_ok(
    $$SELECT ratchet.create_queue('q', '{"backoff": {"jitter": 1.5}}')$$,
    'RT005', NULL, 'jitter above 1'
);
SELECT throws_ok(
    $$SELECT ratchet.create_queue('q', '{"backoff": {"jitter": -0.1}}')$$,
    'RT005', NULL, 'negative jitter'
);
SELECT throws_ok(
    $$SELECT ratchet.create_queue(
        'q', '{"backoff": {"initial": "10 minutes", "max": "1 minute"}}'
    )$$,
    'RT005', NULL, 'max below initial'
);

SELECT lives_ok(
    $$SELECT ratchet.create_queue('q', '{"backoff": {"max": "1 minute"}}')$$,
    'max of 1 minute with the default initial of 1 s'
);
SELECT throws_ok(
    $$SELECT ratchet.create_queue('q', '{"backoff": {"initial": "2 minutes"}}')$$,
    'RT005', NULL, 'a new initial above the stored max'
);

SELECT lives_ok(
    $$SELECT ratchet.create_queue('q', '{"backoff": {"factor": 1}}')$$,
    'factor 1'
);
SELECT lives_ok(
    $$SELECT ratchet.create_queue('q', '{"backoff": {"jitter": 0}}')$$,
    'jitter 0'
);
SELECT lives_ok(
    $$SELECT ratchet.create_queue('q', '{"backoff": {"jitter": 1}}')$$,
    'jitter 1'
);
SELECT lives_ok(
    $$SELECT ratchet.create_queue(
        'q', '{"backoff": {"initial": "1 minute", "max": "1 minute"}}'
    )$$,
    'max equal to initial'
);

SELECT * FROM finish();
ROLLBACK;
