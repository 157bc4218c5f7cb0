-- The public API runs as the engine's owner, nothing is executable by
-- PUBLIC, and every public function is granted to at least one group role.
BEGIN;
SELECT plan(5);

SELECT is_empty(
    $$
    SELECT p.oid::regprocedure::text FROM pg_proc AS p
    WHERE
        p.pronamespace = 'ratchet'::regnamespace
        AND left(p.proname, 1) <> '_'
        AND NOT p.prosecdef
    $$,
    'every public function is SECURITY DEFINER'
);
SELECT is_empty(
    $$
    SELECT p.oid::regprocedure::text FROM pg_proc AS p
    WHERE
        p.pronamespace = 'ratchet'::regnamespace
        AND left(p.proname, 1) = '_'
        AND p.prosecdef
        AND p.proname <> '_readable_queues'
    $$,
    'internal functions run as their caller (the owner, inside the API)'
);
SELECT is_empty(
    $$
    SELECT p.oid::regprocedure::text FROM pg_proc AS p
    WHERE
        p.pronamespace = 'ratchet'::regnamespace
        AND has_function_privilege('public', p.oid, 'EXECUTE')
    $$,
    'no function is executable by PUBLIC'
);
SELECT is_empty(
    $$
    SELECT p.oid::regprocedure::text FROM pg_proc AS p
    WHERE
        p.pronamespace = 'ratchet'::regnamespace
        AND left(p.proname, 1) <> '_'
        AND NOT has_function_privilege('ratchet_admin', p.oid, 'EXECUTE')
    $$,
    'ratchet_admin may execute every public function'
);
SELECT is_empty(
    $$
    SELECT c.oid::regclass::text FROM pg_class AS c
    WHERE
        c.relnamespace = 'ratchet'::regnamespace
        AND c.relkind IN ('r', 'v', 'S')
        AND (
            has_table_privilege('ratchet_admin', c.oid, 'INSERT, UPDATE, DELETE, TRUNCATE, TRIGGER')
            OR has_table_privilege('ratchet_producer', c.oid, 'INSERT, UPDATE, DELETE, TRUNCATE, TRIGGER')
            OR has_table_privilege('ratchet_worker', c.oid, 'INSERT, UPDATE, DELETE, TRUNCATE, TRIGGER')
            OR has_table_privilege('ratchet_reader', c.oid, 'INSERT, UPDATE, DELETE, TRUNCATE, TRIGGER')
        )
    $$,
    'no group role may write to, truncate or put a trigger on an engine table'
);

SELECT * FROM finish();
ROLLBACK;
