-- Queue names match ^[a-z][a-z0-9_]{0,47}$; anything else raises RT005.
BEGIN;
SELECT plan(11);

SELECT throws_ok(
    $$SELECT ratchet.create_queue('Queue')$$, 'RT005', NULL, 'upper case'
);
SELECT throws_ok(
    $$SELECT ratchet.create_queue('1q')$$, 'RT005', NULL, 'leading digit'
);
SELECT throws_ok(
    $$SELECT ratchet.create_queue('_q')$$, 'RT005', NULL, 'leading underscore'
);
SELECT throws_ok(
    $$SELECT ratchet.create_queue('q-1')$$, 'RT005', NULL, 'dash'
);
SELECT throws_ok(
    $$SELECT ratchet.create_queue('')$$, 'RT005', NULL, 'empty'
);
SELECT throws_ok(
    $$SELECT ratchet.create_queue(repeat('a', 49))$$, 'RT005', NULL,
    '49 characters'
);
SELECT throws_ok(
    $$SELECT ratchet.create_queue(NULL)$$, 'RT005', NULL, 'null'
);
SELECT is(
    (
        SELECT count(*) FROM ratchet.queue_stats
        WHERE queue <> 'default'
    ),
    0::bigint,
    'no queue was written'
);

SELECT lives_ok(
    $$SELECT ratchet.create_queue(repeat('a', 48))$$, '48 characters'
);
SELECT lives_ok($$SELECT ratchet.create_queue('q')$$, 'one letter');
SELECT lives_ok($$SELECT ratchet.create_queue('q_2')$$, 'underscore, digit');

SELECT * FROM finish();
ROLLBACK;
