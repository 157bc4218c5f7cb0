-- The privilege model (docs/security.md). Every function of the public API
-- runs as the engine's owner (SECURITY DEFINER, search_path pinned) and
-- checks the caller itself (sql/15_access.sql); nobody but the owner gets
-- rights on the tables, so no role can rewrite history, forge a task or put
-- a trigger on an engine table. EXECUTE goes to the group roles only.

-- The public API (names without a leading underscore) and the row filter of
-- the views run as the owner; everything else is reachable only through them.
DO $$
DECLARE
    v_fn regprocedure;
BEGIN
    FOR v_fn IN
        SELECT p.oid::regprocedure FROM pg_catalog.pg_proc AS p
        WHERE
            p.pronamespace = 'ratchet'::regnamespace
            AND p.prokind = 'f'
            AND (left(p.proname, 1) <> '_' OR p.proname = '_readable_queues')
            AND p.prorettype <> 'trigger'::regtype
    LOOP
        EXECUTE pg_catalog.format('ALTER FUNCTION %s SECURITY DEFINER', v_fn);
    END LOOP;
END;
$$;

REVOKE ALL ON ALL FUNCTIONS IN SCHEMA ratchet FROM public;
REVOKE ALL ON ALL TABLES IN SCHEMA ratchet FROM public;
REVOKE ALL ON ALL SEQUENCES IN SCHEMA ratchet FROM public;

GRANT USAGE ON SCHEMA ratchet
TO ratchet_producer, ratchet_worker, ratchet_reader, ratchet_admin;

-- An admin may do what every other group may do.
DO $$
BEGIN
    EXECUTE 'GRANT ratchet_producer, ratchet_worker, ratchet_reader TO ratchet_admin';
EXCEPTION WHEN insufficient_privilege THEN
    RAISE WARNING 'pgratchet: could not make ratchet_admin a member of the other groups'
    USING HINT = 'a role with CREATEROLE can run: GRANT ratchet_producer, ratchet_worker, '
    || 'ratchet_reader TO ratchet_admin';
END;
$$;

-- Every group: the clock, the audit trail and the views (each filtered to
-- the queues the caller may read).
GRANT EXECUTE ON FUNCTION
ratchet.now, ratchet.version, ratchet.run_history, ratchet._readable_queues
TO ratchet_producer, ratchet_worker, ratchet_reader;
GRANT SELECT ON ratchet.runs, ratchet.queue_stats
TO ratchet_producer, ratchet_worker, ratchet_reader;

-- Clients (create_queue and register_workflow change nothing without manage
-- on the queue, but clients call them at start-up to make sure).
GRANT EXECUTE ON FUNCTION
ratchet.start, ratchet.start_many, ratchet.signal, ratchet.cancel, ratchet.retry,
ratchet.create_queue, ratchet.register_workflow
TO ratchet_producer;

-- Workers.
GRANT EXECUTE ON FUNCTION
ratchet.register_worker, ratchet.heartbeat, ratchet.deregister_worker,
ratchet.claim, ratchet.checkpoint, ratchet.complete, ratchet.complete_many,
ratchet.fail, ratchet.sleep, ratchet.await_event, ratchet.start_child,
ratchet.await_runs, ratchet.tick, ratchet.create_queue, ratchet.register_workflow
TO ratchet_worker;

-- Admins: rights, settings, and read access to every engine table.
GRANT EXECUTE ON FUNCTION
ratchet.grant_queue, ratchet.revoke_queue, ratchet.configure, ratchet.check_invariants
TO ratchet_admin;
GRANT SELECT ON ALL TABLES IN SCHEMA ratchet TO ratchet_admin;

-- Readers of ratchet.runs see only the queues they may read. The owner (the
-- engine's own functions) is not subject to the policy.
ALTER TABLE ratchet.runs ENABLE ROW LEVEL SECURITY;

-- Dropped first so that an upgrade, which re-runs this file, replaces it.
DROP POLICY IF EXISTS runs_readable ON ratchet.runs;

CREATE POLICY runs_readable ON ratchet.runs
FOR SELECT
TO ratchet_producer, ratchet_worker, ratchet_reader, ratchet_admin
USING (queue IN (SELECT unnest(ratchet._readable_queues())));
