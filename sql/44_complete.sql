-- Completing a held task finishes its run with an output.

CREATE FUNCTION ratchet._complete(t ratchet.tasks, output jsonb, at timestamptz)
RETURNS void
LANGUAGE plpgsql
SET search_path = ''
AS $$
#variable_conflict use_column
BEGIN
    DELETE FROM ratchet.tasks AS x WHERE x.id = _complete.t.id;
    UPDATE ratchet.runs AS r SET
        status = 'completed',
        output = _complete.output,
        finished_at = _complete.at
    WHERE r.id = _complete.t.run_id;
    PERFORM ratchet._log(
        _complete.t.run_id, 'completed', null,
        jsonb_build_object('task', _complete.t.id), _complete.at
    );
    PERFORM ratchet._finished(_complete.t.run_id, _complete.at);
END;
$$;

CREATE FUNCTION ratchet.complete(task bigint, output jsonb DEFAULT null)
RETURNS void
LANGUAGE plpgsql
SET search_path = ''
AS $$
#variable_conflict use_column
DECLARE
    v_now timestamptz := ratchet.now();
    v_t ratchet.tasks;
BEGIN
    PERFORM ratchet._check_size('output', complete.output);
    v_t := ratchet._hold(complete.task, v_now);
    PERFORM ratchet._durability(v_t.queue);
    PERFORM ratchet._complete(v_t, complete.output, v_now);
END;
$$;

-- A batch of completions in one transaction (one commit for many tasks).
-- Tasks no longer held are skipped, not raised: the returned ids say which
-- completed. outputs is a JSON array aligned with tasks, or null.
CREATE FUNCTION ratchet.complete_many(tasks bigint[], outputs jsonb DEFAULT null)
RETURNS SETOF bigint
LANGUAGE plpgsql
SET search_path = ''
AS $$
#variable_conflict use_column
DECLARE
    v_now timestamptz := ratchet.now();
    v_item record;
    v_t ratchet.tasks;
BEGIN
    IF complete_many.outputs IS NOT NULL AND complete_many.outputs <> 'null'::jsonb AND (
        jsonb_typeof(complete_many.outputs) <> 'array'
        OR jsonb_array_length(complete_many.outputs) <> coalesce(cardinality(complete_many.tasks), 0)
    ) THEN
        PERFORM ratchet._raise(
            'RT005', 'complete_many: outputs must be a JSON array with one element per task'
        );
    END IF;
    FOR v_item IN
        SELECT t.id, t.run_id, u.ord
        FROM unnest(complete_many.tasks) WITH ORDINALITY AS u (id, ord)
        INNER JOIN ratchet.tasks AS t ON t.id = u.id
        ORDER BY t.run_id DESC
    LOOP
        PERFORM ratchet._check_size('output', complete_many.outputs -> (v_item.ord::integer - 1));
        PERFORM 1 FROM ratchet.runs AS r WHERE r.id = v_item.run_id FOR UPDATE;
        SELECT * INTO v_t FROM ratchet.tasks AS t
        WHERE t.id = v_item.id AND t.lease_expires_at > v_now
            AND (t.deadline IS NULL OR t.deadline > v_now);
        IF NOT FOUND THEN
            CONTINUE;
        END IF;
        PERFORM ratchet._durability(v_t.queue);
        PERFORM ratchet._complete(
            v_t, nullif(complete_many.outputs -> (v_item.ord::integer - 1), 'null'::jsonb), v_now
        );
        RETURN NEXT v_t.id;
    END LOOP;
END;
$$;
