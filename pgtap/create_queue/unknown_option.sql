-- Unknown option keys (also inside backoff) raise RT005 and write nothing.
BEGIN;
SELECT plan(5);

SELECT throws_ok(
    $$SELECT ratchet.create_queue('q', '{"concurency": 2}')$$,
    'RT005', NULL, 'a misspelt option'
);
SELECT throws_ok(
    $$SELECT ratchet.create_queue('q', '{"backoff": {"inital": "1 second"}}')$$,
    'RT005', NULL, 'a misspelt backoff key'
);
SELECT throws_ok(
    $$SELECT ratchet.create_queue('q', '[]')$$,
    'RT005', NULL, 'options that are not an object'
);
SELECT is(
    (
        SELECT count(*) FROM ratchet.queue_stats
        WHERE queue = 'q'
    ), 0::bigint,
    'the queue was not created'
);
SELECT throws_ok(
    $$SELECT ratchet.register_worker('w1', ARRAY['q'])$$,
    'RT004', NULL, 'the queue is unknown afterwards'
);

SELECT * FROM finish();
ROLLBACK;
