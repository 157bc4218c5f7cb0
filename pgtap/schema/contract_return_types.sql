-- The contract functions return the documented types.
BEGIN;
SELECT plan(20);

SELECT function_returns(
    'ratchet', 'create_queue', ARRAY['text', 'jsonb'], 'void'
);
SELECT function_returns(
    'ratchet', 'register_workflow', ARRAY['text', 'jsonb'], 'void'
);
SELECT function_returns(
    'ratchet', 'start', ARRAY['text', 'jsonb', 'jsonb'], 'bigint'
);
SELECT function_returns(
    'ratchet', 'start_many', ARRAY['text', 'jsonb', 'jsonb'], 'setof bigint'
);
SELECT function_returns(
    'ratchet', 'signal', ARRAY['bigint', 'text', 'jsonb'], 'void'
);
SELECT function_returns('ratchet', 'cancel', ARRAY['bigint', 'text'], 'boolean');
SELECT function_returns('ratchet', 'retry', ARRAY['bigint'], 'void');
SELECT function_returns(
    'ratchet', 'register_worker', ARRAY['text', 'text[]', 'text[]'], 'bigint'
);
SELECT function_returns(
    'ratchet', 'heartbeat', ARRAY['bigint'], 'timestamp with time zone'
);
SELECT function_returns(
    'ratchet', 'deregister_worker', ARRAY['bigint'], 'integer'
);
SELECT function_returns(
    'ratchet', 'checkpoint', ARRAY['bigint', 'text', 'jsonb'], 'jsonb'
);
SELECT function_returns('ratchet', 'complete', ARRAY['bigint', 'jsonb'], 'void');
SELECT function_returns(
    'ratchet', 'complete_many', ARRAY['bigint[]', 'jsonb'], 'setof bigint'
);
SELECT function_returns(
    'ratchet', 'fail',
    ARRAY['bigint', 'jsonb', 'text', 'boolean', 'integer'], 'text'
);
SELECT function_returns(
    'ratchet', 'sleep',
    ARRAY['bigint', 'text', 'timestamp with time zone'], 'boolean'
);
SELECT function_returns(
    'ratchet', 'await_event',
    ARRAY['bigint', 'text', 'text', 'interval'], 'jsonb'
);
SELECT function_returns(
    'ratchet', 'start_child',
    ARRAY['bigint', 'text', 'text', 'jsonb', 'jsonb'], 'bigint'
);
SELECT function_returns(
    'ratchet', 'await_runs', ARRAY['bigint', 'text', 'bigint[]'], 'jsonb'
);
SELECT function_returns('ratchet', 'tick', ARRAY[]::text[], 'jsonb');
SELECT function_returns(
    'ratchet', 'now', ARRAY[]::text[], 'timestamp with time zone'
);

SELECT * FROM finish();
ROLLBACK;
