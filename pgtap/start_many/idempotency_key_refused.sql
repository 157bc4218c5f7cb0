-- start_many refuses any idempotency_key (D15), even with one input: one key
-- cannot name many runs. Nothing is written.
BEGIN;
SELECT plan(4);

SELECT ratchet.create_queue('q');
SELECT ratchet.register_workflow('wf', '{"queue": "q"}');

SELECT throws_ok(
    $$SELECT ratchet.start_many('wf', '[{}]', '{"idempotency_key": "k"}')$$,
    'RT005', 'start_many takes no idempotency_key: one key cannot name many runs',
    'one input with a key'
);
SELECT throws_ok(
    $$SELECT ratchet.start_many('wf', '[{}, {}]', '{"idempotency_key": "k"}')$$,
    'RT005', 'start_many takes no idempotency_key: one key cannot name many runs',
    'two inputs with a key'
);
SELECT is((SELECT count(*) FROM ratchet.runs), 0::bigint, 'nothing was written');
SELECT is(
    (SELECT count(*) FROM ratchet.start_many('wf', '[{}]', '{"idempotency_key": null}')),
    1::bigint,
    'a null key is no key'
);

SELECT * FROM finish();
ROLLBACK;
