-- Helpers for the isolation specs (tests/isolation/specs/*.spec), loaded by
-- scripts/run_isolation.sh into the test database after the engine. They
-- keep expected outputs free of sequence values and error messages: a step
-- prints counts, statuses and SQLSTATEs, and finds its ids by name.
CREATE SCHEMA iso;

-- Ids a spec's setup or steps remember by name (runs, tasks, workers).
CREATE TABLE iso.ids (
    name text PRIMARY KEY,
    id bigint NOT NULL
);

-- Remembers id under name and returns it, so a claim can store its task.
CREATE FUNCTION iso.remember(name text, id bigint)
RETURNS bigint
LANGUAGE sql
AS $$
    INSERT INTO iso.ids AS i (name, id) VALUES (remember.name, remember.id)
    ON CONFLICT (name) DO UPDATE SET id = excluded.id
    RETURNING i.id;
$$;

-- The id remembered under name; an unknown name is a bug in the spec.
CREATE FUNCTION iso.id(name text)
RETURNS bigint
LANGUAGE plpgsql
STABLE
AS $$
DECLARE
    v_id bigint;
BEGIN
    SELECT i.id INTO v_id FROM iso.ids AS i WHERE i.name = id.name;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'iso.id: no id remembered as %', id.name;
    END IF;
    RETURN v_id;
END;
$$;

-- Runs a statement; returns 'ok', or the SQLSTATE it raised (its changes are
-- then rolled back with the subtransaction, as the engine promises anyway).
CREATE FUNCTION iso.sqlstate_of(statement text)
RETURNS text
LANGUAGE plpgsql
AS $$
BEGIN
    EXECUTE sqlstate_of.statement;
    RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE;
END;
$$;

-- A spec's teardown: removes every engine row of its queues (runs and all
-- that hangs off them, workers, workflows, grants) and the remembered ids,
-- so the next permutation starts from the same state.
CREATE PROCEDURE iso.reset(queues text[])
LANGUAGE plpgsql
AS $$
DECLARE
    v_runs bigint[];
BEGIN
    SELECT coalesce(array_agg(r.id), '{}') INTO v_runs
    FROM ratchet.runs AS r WHERE r.queue = ANY(reset.queues);
    DELETE FROM ratchet.tasks AS t WHERE t.run_id = ANY(v_runs);
    DELETE FROM ratchet.fenced_tasks AS f WHERE f.run_id = ANY(v_runs);
    DELETE FROM ratchet.pending AS p WHERE p.run_id = ANY(v_runs);
    DELETE FROM ratchet.run_waits AS w WHERE w.awaited = ANY(v_runs) OR w.waiter = ANY(v_runs);
    DELETE FROM ratchet.events AS e WHERE e.run_id = ANY(v_runs);
    DELETE FROM ratchet.steps AS s WHERE s.run_id = ANY(v_runs);
    DELETE FROM ratchet.history AS h WHERE h.run_id = ANY(v_runs);
    DELETE FROM ratchet.runs AS r WHERE r.id = ANY(v_runs);
    DELETE FROM ratchet.workers AS w WHERE w.queues && reset.queues;
    DELETE FROM ratchet.workflows AS w WHERE w.queue = ANY(reset.queues);
    DELETE FROM ratchet.queue_grants AS g WHERE g.queue = ANY(reset.queues);
    DELETE FROM ratchet.queues AS q WHERE q.name = ANY(reset.queues);
    DELETE FROM iso.ids;
END;
$$;
