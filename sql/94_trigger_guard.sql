-- Defence in depth against trigger-based escalation (defect D17). The public
-- API runs as the engine's owner, often a superuser, so a trigger on an
-- engine table would run its author's code with the owner's rights on the
-- next call. No group role gets TRIGGER on an engine table, but an operator
-- may still `GRANT ALL ON ALL TABLES`: this event trigger refuses CREATE
-- TRIGGER on a table of schema ratchet by anyone but the owner or a
-- superuser. Creating an event trigger needs a superuser; installs by other
-- roles (managed Postgres) skip it with a NOTICE and rely on the grants.
CREATE OR REPLACE FUNCTION ratchet._guard_triggers()
RETURNS event_trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_cmd record;
    v_table regclass;
BEGIN
    FOR v_cmd IN SELECT * FROM pg_event_trigger_ddl_commands() LOOP
        IF v_cmd.object_type <> 'trigger' THEN
            CONTINUE;
        END IF;
        SELECT t.tgrelid::regclass INTO v_table FROM pg_trigger AS t WHERE t.oid = v_cmd.objid;
        IF v_table IS NULL
            OR (SELECT c.relnamespace FROM pg_class AS c WHERE c.oid = v_table)
            <> 'ratchet'::regnamespace THEN
            CONTINUE;
        END IF;
        IF NOT (
            coalesce((SELECT r.rolsuper FROM pg_roles AS r WHERE r.rolname = current_user), false)
            OR pg_has_role(
                current_user, (SELECT c.relowner FROM pg_class AS c WHERE c.oid = v_table), 'MEMBER'
            )
        ) THEN
            RAISE EXCEPTION USING
                errcode = 'insufficient_privilege',
                message = format(
                    'only the owner of pgratchet may create triggers on %s', v_table
                ),
                hint = 'engine tables run their triggers with the owner''s rights; '
                || 'revoke TRIGGER on ratchet tables from other roles';
        END IF;
    END LOOP;
END;
$$;

DO $$
BEGIN
    IF EXISTS (
        SELECT 1 FROM pg_catalog.pg_event_trigger AS t
        WHERE t.evtname = 'ratchet_guard_triggers'
    ) THEN
        NULL;  -- an upgrade re-runs this file: the trigger already calls the function
    ELSIF (SELECT r.rolsuper FROM pg_catalog.pg_roles AS r WHERE r.rolname = current_user) THEN
        CREATE EVENT TRIGGER ratchet_guard_triggers ON ddl_command_end
        WHEN TAG IN ('CREATE TRIGGER')
        EXECUTE FUNCTION ratchet._guard_triggers();
    ELSE
        RAISE NOTICE 'pgratchet: not a superuser, so no event trigger guards the engine tables'
        USING HINT = 'never grant TRIGGER (or ALL) on ratchet tables to other roles';
    END IF;
END;
$$;
