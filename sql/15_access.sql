-- Who may do what. The public functions run as the engine's owner (SECURITY
-- DEFINER), so every check below is about the caller: the role the session
-- acts as (SET ROLE, else the login role). Rights come from two layers:
-- EXECUTE on the functions, through membership in ratchet_producer,
-- ratchet_worker, ratchet_reader or ratchet_admin; and per-queue rights
-- granted with ratchet.grant_queue. Refusals raise SQLSTATE 42501.

-- The role the caller acts as. Inside a SECURITY DEFINER function
-- current_user is the owner; the GUC "role" still holds what SET ROLE chose
-- (Postgres checked the membership when it was set), else the login role.
CREATE OR REPLACE FUNCTION ratchet._caller()
RETURNS regrole
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_role text := current_setting('role');
BEGIN
    IF v_role = 'none' THEN
        v_role := session_user;
    END IF;
    RETURN to_regrole(quote_ident(v_role));
END;
$$;

-- Superusers, the engine's owner and members of ratchet_admin may do anything.
-- Takes the caller (from ratchet._caller()) so a check computes it once.
CREATE OR REPLACE FUNCTION ratchet._is_admin(caller regrole)
RETURNS boolean
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
BEGIN
    RETURN _is_admin.caller = current_user::regrole
        OR coalesce((SELECT r.rolsuper FROM pg_roles AS r WHERE r.oid = _is_admin.caller), false)
        OR pg_has_role(_is_admin.caller, 'ratchet_admin', 'MEMBER');
END;
$$;

-- May the caller use this right on this queue? Any right on a queue lets
-- the caller read its runs; manage does not imply produce or work.
CREATE OR REPLACE FUNCTION ratchet._can(queue text, want text)
RETURNS boolean
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    v_caller regrole := ratchet._caller();
BEGIN
    IF ratchet._is_admin(v_caller) THEN
        RETURN true;
    END IF;
    RETURN EXISTS (
        SELECT 1 FROM ratchet.queue_grants AS g
        WHERE
            g.queue IN (_can.queue, '*')
            AND (_can.want = 'read' OR _can.want = ANY(g.rights))
            AND pg_has_role(v_caller, g.role, 'MEMBER')
    );
END;
$$;

-- The queues the caller may read (every queue for an admin): the row filter
-- of ratchet.runs and ratchet.queue_stats, evaluated once per query.
CREATE OR REPLACE FUNCTION ratchet._readable_queues()
RETURNS text[]
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_caller regrole := ratchet._caller();
BEGIN
    IF ratchet._is_admin(v_caller) THEN
        RETURN ARRAY(SELECT q.name FROM ratchet.queues AS q);
    END IF;
    RETURN ARRAY(
        SELECT q.name FROM ratchet.queues AS q
        WHERE EXISTS (
            SELECT 1 FROM ratchet.queue_grants AS g
            WHERE g.queue IN (q.name, '*') AND pg_has_role(v_caller, g.role, 'MEMBER')
        )
    );
END;
$$;

-- Raises 42501 unless the caller has the right on the queue.
CREATE OR REPLACE FUNCTION ratchet._authorize(queue text, want text)
RETURNS void
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    v_caller regrole;
BEGIN
    IF NOT ratchet._can(_authorize.queue, _authorize.want) THEN
        v_caller := ratchet._caller();
        RAISE EXCEPTION USING
            errcode = 'insufficient_privilege',
            message = format(
                'role %s has no %s right on queue %L',
                v_caller, _authorize.want, _authorize.queue
            ),
            hint = format(
                'an admin can grant it: SELECT ratchet.grant_queue(%L, %L, ''{%s}'')',
                _authorize.queue, v_caller, _authorize.want
            );
    END IF;
END;
$$;

-- Raises 42501 unless the caller is an admin.
CREATE OR REPLACE FUNCTION ratchet._authorize_admin(what text)
RETURNS void
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    v_caller regrole := ratchet._caller();
BEGIN
    IF NOT ratchet._is_admin(v_caller) THEN
        RAISE EXCEPTION USING
            errcode = 'insufficient_privilege',
            message = format('%s: only ratchet_admin may do this, not %s', what, v_caller),
            hint = 'GRANT ratchet_admin TO the role, or ask an admin';
    END IF;
END;
$$;

-- Raises 42501 unless the caller is the owner given (a worker's role) or an
-- admin.
CREATE OR REPLACE FUNCTION ratchet._authorize_owner(owner regrole, what text)
RETURNS void
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    v_caller regrole := ratchet._caller();
BEGIN
    IF _authorize_owner.owner IS DISTINCT FROM v_caller AND NOT ratchet._is_admin(v_caller) THEN
        RAISE EXCEPTION USING
            errcode = 'insufficient_privilege',
            message = format(
                '%s belongs to role %s, not to %s',
                _authorize_owner.what, _authorize_owner.owner, v_caller
            ),
            hint = 'a worker id and its tasks may only be used by the role that registered the worker';
    END IF;
END;
$$;

-- Raises 42501 unless the caller owns this worker (or is an admin): the one
-- check every task call makes on the worker that holds its task.
CREATE OR REPLACE FUNCTION ratchet._authorize_worker(worker bigint, what text)
RETURNS void
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
BEGIN
    PERFORM ratchet._authorize_owner(
        (SELECT w.owner FROM ratchet.workers AS w WHERE w.id = _authorize_worker.worker),
        _authorize_worker.what
    );
END;
$$;

-- Gives a role rights on a queue ('*' = every queue); adds to what it has.
CREATE OR REPLACE FUNCTION ratchet.grant_queue(queue text, role text, rights text[])
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    v_role regrole;
    v_bad text;
BEGIN
    PERFORM ratchet._authorize_admin('grant_queue');
    IF grant_queue.queue IS DISTINCT FROM '*' THEN
        PERFORM ratchet._check_name('queue', grant_queue.queue);
        IF NOT EXISTS (SELECT 1 FROM ratchet.queues AS q WHERE q.name = grant_queue.queue) THEN
            PERFORM ratchet._raise(
                'RT004', format('unknown queue %L', grant_queue.queue),
                'create it first with ratchet.create_queue(), or grant on ''*'' for every queue'
            );
        END IF;
    END IF;
    SELECT r.oid::regrole INTO v_role FROM pg_roles AS r WHERE r.rolname = grant_queue.role;
    IF v_role IS NULL THEN
        PERFORM ratchet._raise('RT005', format('unknown role %L', grant_queue.role));
    END IF;
    IF grant_queue.rights IS NULL OR cardinality(grant_queue.rights) = 0 THEN
        PERFORM ratchet._raise(
            'RT005', 'grant_queue: give at least one right',
            'rights are produce, work, read and manage'
        );
    END IF;
    SELECT u.x INTO v_bad FROM unnest(grant_queue.rights) AS u (x)
    WHERE u.x IS NULL OR u.x <> ALL(ARRAY['produce', 'work', 'read', 'manage'])
    LIMIT 1;
    IF FOUND THEN
        PERFORM ratchet._raise(
            'RT005', format('grant_queue: unknown right %L', v_bad),
            'rights are produce, work, read and manage'
        );
    END IF;
    INSERT INTO ratchet.queue_grants AS g (queue, role, rights, granted_at)
    VALUES (
        grant_queue.queue, v_role,
        ARRAY(SELECT DISTINCT u.x FROM unnest(grant_queue.rights) AS u (x) ORDER BY u.x),
        ratchet.now()
    )
    ON CONFLICT ON CONSTRAINT queue_grants_pkey DO UPDATE SET
        rights = ARRAY(
            SELECT DISTINCT u.x FROM unnest(g.rights || excluded.rights) AS u (x) ORDER BY u.x
        ),
        granted_at = excluded.granted_at;
END;
$$;

-- Takes rights back (all of them when rights is null). Returns whether the
-- role had any of them.
CREATE OR REPLACE FUNCTION ratchet.revoke_queue(queue text, role text, rights text[] DEFAULT null)
RETURNS boolean
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    v_role regrole;
    v_had text[];
BEGIN
    PERFORM ratchet._authorize_admin('revoke_queue');
    SELECT r.oid::regrole INTO v_role FROM pg_roles AS r WHERE r.rolname = revoke_queue.role;
    IF v_role IS NULL THEN
        -- A dropped role's grants show its number in queue_grants: revoke by it.
        SELECT g.role INTO v_role FROM ratchet.queue_grants AS g
        WHERE g.role::oid::text = revoke_queue.role
        LIMIT 1;
    END IF;
    IF v_role IS NULL THEN
        PERFORM ratchet._raise('RT005', format('unknown role %L', revoke_queue.role));
    END IF;
    SELECT g.rights INTO v_had FROM ratchet.queue_grants AS g
    WHERE g.queue = revoke_queue.queue AND g.role = v_role
    FOR UPDATE;
    IF v_had IS NULL THEN
        RETURN false;
    END IF;
    IF revoke_queue.rights IS NULL
        OR v_had <@ revoke_queue.rights THEN
        DELETE FROM ratchet.queue_grants AS g
        WHERE g.queue = revoke_queue.queue AND g.role = v_role;
    ELSE
        UPDATE ratchet.queue_grants AS g SET
            rights = ARRAY(
                SELECT u.x FROM unnest(g.rights) AS u (x)
                WHERE u.x <> ALL(revoke_queue.rights) ORDER BY u.x
            )
        WHERE g.queue = revoke_queue.queue AND g.role = v_role;
    END IF;
    RETURN revoke_queue.rights IS NULL OR v_had && revoke_queue.rights;
END;
$$;

-- Changes an engine setting (admin only); JSON null goes back to the default.
-- Returns the value now in force.
CREATE OR REPLACE FUNCTION ratchet.configure(name text, value jsonb)
RETURNS jsonb
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    v_value jsonb := nullif(configure.value, 'null'::jsonb);
BEGIN
    PERFORM ratchet._authorize_admin('configure');
    IF configure.name IS NULL OR ratchet._setting_default(configure.name) IS NULL THEN
        PERFORM ratchet._raise(
            'RT005', format('unknown setting %L', configure.name),
            'settings are max_payload_bytes, max_buffered_events, fake_clock and '
            || 'notify_interval_ms'
        );
    END IF;
    IF v_value IS NULL THEN
        DELETE FROM ratchet.settings AS s WHERE s.name = configure.name;
        RETURN ratchet._setting(configure.name);
    END IF;
    CASE configure.name
        WHEN 'max_payload_bytes' THEN
            v_value := to_jsonb(ratchet._opt_int(configure.name, v_value, 1024, 67108864));
        WHEN 'max_buffered_events' THEN
            v_value := to_jsonb(ratchet._opt_int(configure.name, v_value, 1, 1000000));
        WHEN 'notify_interval_ms' THEN
            v_value := to_jsonb(ratchet._opt_int(configure.name, v_value, 0, 1000));
        ELSE
            v_value := to_jsonb(ratchet._opt_bool(configure.name, v_value));
    END CASE;
    INSERT INTO ratchet.settings AS s (name, value, updated_at)
    VALUES (configure.name, v_value, ratchet.now())
    ON CONFLICT ON CONSTRAINT settings_pkey DO UPDATE SET
        value = excluded.value,
        updated_at = excluded.updated_at;
    RETURN v_value;
END;
$$;
