-- Functions running with elevated rights pin search_path (principle 10).
BEGIN;
SELECT plan(2);

SELECT is_empty(
    $$
    SELECT p.oid::regprocedure::text
    FROM pg_proc AS p
    WHERE
        p.pronamespace = 'ratchet'::regnamespace
        AND p.prosecdef
        AND NOT coalesce(
            EXISTS (
                SELECT 1 FROM unnest(p.proconfig) AS c
                WHERE c LIKE 'search_path=%'
            ),
            FALSE
        )
    $$,
    'every SECURITY DEFINER function in ratchet sets search_path'
);

SELECT is_empty(
    $$
    SELECT p.oid::regprocedure::text
    FROM pg_proc AS p
    WHERE
        p.pronamespace = 'ratchet'::regnamespace
        AND p.prolang = (SELECT oid FROM pg_language WHERE lanname = 'plpgsql')
        AND NOT coalesce(
            EXISTS (
                SELECT 1 FROM unnest(p.proconfig) AS c
                WHERE c LIKE 'search_path=%'
            ),
            FALSE
        )
    $$,
    'every plpgsql function in ratchet pins search_path'
);

SELECT * FROM finish();
ROLLBACK;
