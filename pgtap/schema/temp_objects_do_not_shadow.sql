-- D16: every function pins search_path = pg_catalog, pg_temp, so a temporary
-- table (whose row type would shadow a type name) cannot change the engine.
BEGIN;
SELECT plan(2);

SELECT is_empty(
    $$
    SELECT p.oid::regprocedure::text
    FROM pg_proc AS p
    WHERE
        p.pronamespace = 'ratchet'::regnamespace
        AND NOT coalesce(
            'search_path=pg_catalog, pg_temp' = ANY(p.proconfig), FALSE
        )
    $$,
    'every function in ratchet pins search_path to pg_catalog, pg_temp'
);

SELECT ratchet.register_workflow('wf');
CREATE TEMP TABLE jsonb (x int);
SELECT lives_ok(
    $$SELECT ratchet.start('wf', '{"a": 1}')$$,
    'start works with a temp table named jsonb'
);

SELECT * FROM finish();
ROLLBACK;
