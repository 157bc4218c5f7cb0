-- The engine's group roles (cluster-wide, NOLOGIN). Application roles get
-- rights by membership in one of them plus per-queue grants
-- (ratchet.grant_queue); see docs/security.md. Existing roles are reused, so
-- a second database in the cluster, or a reinstall, finds them in place.
DO $$
DECLARE
    v_role text;
BEGIN
    FOREACH v_role IN ARRAY ARRAY[
        'ratchet_producer', 'ratchet_worker', 'ratchet_reader', 'ratchet_admin'
    ] LOOP
        IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles AS r WHERE r.rolname = v_role) THEN
            BEGIN
                EXECUTE pg_catalog.format('CREATE ROLE %I NOLOGIN', v_role);
            EXCEPTION WHEN insufficient_privilege THEN
                RAISE EXCEPTION USING
                    errcode = 'insufficient_privilege',
                    message = pg_catalog.format(
                        'pgratchet needs the role %s and may not create it', v_role
                    ),
                    hint = 'ask a role with CREATEROLE to run: CREATE ROLE ratchet_producer '
                    || 'NOLOGIN; CREATE ROLE ratchet_worker NOLOGIN; CREATE ROLE ratchet_reader '
                    || 'NOLOGIN; CREATE ROLE ratchet_admin NOLOGIN; then install again';
            END;
        END IF;
    END LOOP;
END;
$$;
