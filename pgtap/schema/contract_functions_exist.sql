-- Every function of the SQL contract exists with the documented signature.
BEGIN;
SELECT plan(22);

SELECT has_function('ratchet', 'create_queue', ARRAY['text', 'jsonb']);
SELECT has_function('ratchet', 'register_workflow', ARRAY['text', 'jsonb']);
SELECT has_function('ratchet', 'start', ARRAY['text', 'jsonb', 'jsonb']);
SELECT has_function('ratchet', 'start_many', ARRAY['text', 'jsonb', 'jsonb']);
SELECT has_function('ratchet', 'signal', ARRAY['bigint', 'text', 'jsonb']);
SELECT has_function('ratchet', 'cancel', ARRAY['bigint', 'text']);
SELECT has_function('ratchet', 'retry', ARRAY['bigint']);
SELECT has_function('ratchet', 'run_history', ARRAY['bigint']);
SELECT has_function(
    'ratchet', 'register_worker', ARRAY['text', 'text[]', 'text[]']
);
SELECT has_function('ratchet', 'heartbeat', ARRAY['bigint']);
SELECT has_function('ratchet', 'deregister_worker', ARRAY['bigint']);
SELECT has_function('ratchet', 'claim', ARRAY['bigint', 'integer']);
SELECT has_function('ratchet', 'checkpoint', ARRAY['bigint', 'text', 'jsonb']);
SELECT has_function('ratchet', 'complete', ARRAY['bigint', 'jsonb']);
SELECT has_function('ratchet', 'complete_many', ARRAY['bigint[]', 'jsonb']);
SELECT has_function(
    'ratchet', 'fail', ARRAY['bigint', 'jsonb', 'text', 'boolean', 'integer']
);
SELECT has_function(
    'ratchet', 'sleep', ARRAY['bigint', 'text', 'timestamp with time zone']
);
SELECT has_function(
    'ratchet', 'await_event', ARRAY['bigint', 'text', 'text', 'interval']
);
SELECT has_function(
    'ratchet', 'start_child', ARRAY['bigint', 'text', 'text', 'jsonb', 'jsonb']
);
SELECT has_function('ratchet', 'await_runs', ARRAY['bigint', 'text', 'bigint[]']);
SELECT has_function('ratchet', 'tick', ARRAY[]::text[]);
SELECT has_function('ratchet', 'now', ARRAY[]::text[]);

SELECT * FROM finish();
ROLLBACK;
