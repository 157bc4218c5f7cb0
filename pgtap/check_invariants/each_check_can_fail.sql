-- Each invariant, broken by hand, is reported by name and run (and nothing
-- else is): every check can fail. pg_temp.broken() makes the change in a
-- subtransaction, runs the checker and undoes the change.
BEGIN;
SELECT plan(37);

SET LOCAL "ratchet.fake_now" = '2030-01-01 00:00:00+00';
SELECT ratchet.create_queue('q', '{"max_attempts": 1}');
SELECT ratchet.create_queue('q_kids');
SELECT ratchet.register_workflow('wf', '{"queue": "q"}');
SELECT ratchet.register_workflow('wf_kid', '{"queue": "q_kids"}');
CREATE TEMP TABLE w AS SELECT ratchet.register_worker('w1', ARRAY['q']) AS id;
SELECT ratchet.start('wf', jsonb_build_object('n', g)) FROM generate_series(1, 7) AS g;
CREATE TEMP TABLE c AS
SELECT
    x.*,
    (x.input ->> 'n')::int AS n
FROM ratchet.claim((SELECT w.id FROM w), 7) AS x;
-- 1 running, 2 completed, 3 failed, 4 sleeping, 5 waiting for an event,
-- 6 waiting for a child, 7 cancelled, 8 queued.
SELECT ratchet.complete((SELECT c.task FROM c WHERE c.n = 2));
SELECT ratchet.fail((SELECT c.task FROM c WHERE c.n = 3), '{"e": 1}');
SELECT ratchet.sleep((SELECT c.task FROM c WHERE c.n = 4), 'nap', '2030-01-02 00:00:00+00');
SELECT ratchet.await_event((SELECT c.task FROM c WHERE c.n = 5), 'ask', 'answer');
CREATE TEMP TABLE k AS
SELECT ratchet.start_child(
    (SELECT c.task FROM c WHERE c.n = 6), 'kid', 'wf_kid', '{}'
) AS id;
SELECT ratchet.await_runs(
    (SELECT c.task FROM c WHERE c.n = 6), 'join', ARRAY[(SELECT k.id FROM k)]
);
SELECT ratchet.cancel((SELECT c.run FROM c WHERE c.n = 7));
INSERT INTO c (run, n)
SELECT
    ratchet.start('wf', '{"n": 8}') AS run,
    8 AS n;

-- Each violation as "invariant run", sorted.
CREATE FUNCTION pg_temp.found() RETURNS text[]
LANGUAGE sql AS $$
    SELECT coalesce(
        array_agg(DISTINCT i.invariant || ' ' || coalesce(i.run::text, '-')), '{}'
    )
    FROM ratchet.check_invariants() AS i;
$$;

-- What the checker finds after the statements; the change is then undone.
CREATE FUNCTION pg_temp.broken(VARIADIC statements text[]) RETURNS text[]
LANGUAGE plpgsql AS $$
DECLARE
    v_statement text;
    v_found text[];
BEGIN
    BEGIN
        FOREACH v_statement IN ARRAY statements LOOP
            EXECUTE v_statement;
        END LOOP;
        v_found := pg_temp.found();
        RAISE EXCEPTION USING errcode = 'ZZ001', message = 'undo';
    EXCEPTION WHEN SQLSTATE 'ZZ001' THEN
        RETURN v_found;
    END;
END;
$$;

-- "invariant run" for run n of the setup.
CREATE FUNCTION pg_temp.v(invariant text, n int) RETURNS text
LANGUAGE sql AS $$
    SELECT v.invariant || ' ' || c.run FROM c WHERE c.n = v.n;
$$;

-- The CHECK constraints of ratchet.runs already forbid some of the states
-- below; dropping them lets the checker's own test of those states be seen
-- to fail.
CREATE FUNCTION pg_temp.drop_run_checks() RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    v_name name;
BEGIN
    FOR v_name IN
        SELECT k.conname FROM pg_constraint AS k
        WHERE k.conrelid = 'ratchet.runs'::regclass AND k.contype = 'c'
    LOOP
        EXECUTE format('ALTER TABLE ratchet.runs DROP CONSTRAINT %I', v_name);
    END LOOP;
END;
$$;

SELECT is(pg_temp.found(), '{}', 'the setup is consistent');

-- one_place
SELECT is(
    pg_temp.broken($$DELETE FROM ratchet.tasks WHERE run_id = (SELECT run FROM c WHERE n = 1)$$),
    ARRAY[pg_temp.v('one_place', 1)],
    'a running run without a task'
);
SELECT is(
    pg_temp.broken(
        'ALTER TABLE ratchet.tasks DROP CONSTRAINT tasks_run_id_key',
        $$INSERT INTO ratchet.tasks (id, run_id, worker_id, queue, claimed_at, lease_expires_at)
        SELECT nextval('ratchet.task_ids'), run_id, worker_id, queue, claimed_at,
            lease_expires_at
        FROM ratchet.tasks WHERE run_id = (SELECT run FROM c WHERE n = 1)$$
    ),
    ARRAY[pg_temp.v('one_place', 1)],
    'a running run with two tasks'
);
SELECT is(
    pg_temp.broken($$DELETE FROM ratchet.pending WHERE run_id = (SELECT run FROM c WHERE n = 8)$$),
    ARRAY[pg_temp.v('one_place', 8)],
    'a queued run without a pending row'
);
SELECT is(
    pg_temp.broken($$DELETE FROM ratchet.pending WHERE run_id = (SELECT run FROM c WHERE n = 4)$$),
    ARRAY[pg_temp.v('one_place', 4)],
    'a sleeping run without a pending row'
);
SELECT is(
    pg_temp.broken($$DELETE FROM ratchet.waits WHERE run_id = (SELECT run FROM c WHERE n = 5)$$),
    ARRAY[pg_temp.v('one_place', 5)],
    'a run waiting for an event without a waits row'
);
SELECT is(
    pg_temp.broken($$DELETE FROM ratchet.waits WHERE run_id = (SELECT run FROM c WHERE n = 6)$$),
    ARRAY[pg_temp.v('one_place', 6), pg_temp.v('run_waits_waiter', 6)],
    'a run waiting for runs without a waits row'
);

-- task_run
SELECT is(
    pg_temp.broken(
        $$INSERT INTO ratchet.tasks (id, run_id, worker_id, queue, claimed_at, lease_expires_at)
        SELECT nextval('ratchet.task_ids'), run, (SELECT id FROM w), 'q', ratchet.now(), 'infinity'
        FROM c WHERE n = 8$$
    ),
    ARRAY[pg_temp.v('one_place', 8), pg_temp.v('task_run', 8)],
    'a task of a queued run'
);
SELECT is(
    pg_temp.broken(
        $$UPDATE ratchet.tasks SET queue = 'default'
        WHERE run_id = (SELECT run FROM c WHERE n = 1)$$
    ),
    ARRAY[pg_temp.v('task_run', 1)],
    'a task in another queue than its run'
);
SELECT is(
    pg_temp.broken(
        $$UPDATE ratchet.tasks SET run_id = -1 WHERE run_id = (SELECT run FROM c WHERE n = 1)$$
    ),
    ARRAY[pg_temp.v('one_place', 1), 'task_run -1'],
    'a task of a run that does not exist'
);

-- pending_run
SELECT is(
    pg_temp.broken(
        $$INSERT INTO ratchet.pending (run_id, queue, workflow, priority, due_at)
        SELECT run, 'q', 'wf', 0, ratchet.now() FROM c WHERE n = 5$$
    ),
    ARRAY[pg_temp.v('one_place', 5), pg_temp.v('pending_run', 5)],
    'a pending row for a waiting run'
);
SELECT is(
    pg_temp.broken(
        $$INSERT INTO ratchet.pending (run_id, queue, workflow, priority, due_at)
        VALUES (-1, 'q', 'wf', 0, ratchet.now())$$
    ),
    ARRAY['pending_run -1'],
    'a pending row of a run that does not exist'
);
SELECT is(
    pg_temp.broken(
        $$UPDATE ratchet.pending SET priority = 5 WHERE run_id = (SELECT run FROM c WHERE n = 8)$$
    ),
    ARRAY[pg_temp.v('pending_run', 8)],
    'a pending row with another priority'
);
SELECT is(
    pg_temp.broken(
        $$UPDATE ratchet.pending SET queue = 'default'
        WHERE run_id = (SELECT run FROM c WHERE n = 4)$$
    ),
    ARRAY[pg_temp.v('pending_run', 4)],
    'a pending row in another queue'
);
SELECT is(
    pg_temp.broken(
        $$UPDATE ratchet.pending SET workflow = 'wf_kid'
        WHERE run_id = (SELECT run FROM c WHERE n = 8)$$
    ),
    ARRAY[pg_temp.v('pending_run', 8)],
    'a pending row of another workflow'
);

-- finished_run
SELECT is(
    pg_temp.broken(
        $$INSERT INTO ratchet.tasks (id, run_id, worker_id, queue, claimed_at, lease_expires_at)
        SELECT nextval('ratchet.task_ids'), run, (SELECT id FROM w), 'q', ratchet.now(), 'infinity'
        FROM c WHERE n = 2$$
    ),
    ARRAY[pg_temp.v('one_place', 2), pg_temp.v('task_run', 2)],
    'a completed run that holds a task'
);
SELECT is(
    pg_temp.broken(
        $$INSERT INTO ratchet.pending (run_id, queue, workflow, priority, due_at)
        SELECT run, 'q', 'wf', 0, ratchet.now() FROM c WHERE n = 3$$
    ),
    ARRAY[pg_temp.v('one_place', 3), pg_temp.v('pending_run', 3)],
    'a failed run with a pending row'
);
SELECT is(
    pg_temp.broken(
        $$INSERT INTO ratchet.run_waits (awaited, waiter)
        SELECT k.id, c.run FROM k, c WHERE c.n = 7$$
    ),
    ARRAY[pg_temp.v('finished_run', 7), pg_temp.v('run_waits_waiter', 7)],
    'a cancelled run that is a waiter'
);
SELECT is(
    pg_temp.broken(
        'SELECT pg_temp.drop_run_checks()',
        $$UPDATE ratchet.runs SET finished_at = null WHERE id = (SELECT run FROM c WHERE n = 2)$$
    ),
    ARRAY[pg_temp.v('finished_run', 2)],
    'a completed run without finished_at'
);

-- live_finished_at
SELECT is(
    pg_temp.broken(
        'SELECT pg_temp.drop_run_checks()',
        $$UPDATE ratchet.runs SET finished_at = ratchet.now()
        WHERE id = (SELECT run FROM c WHERE n = 8)$$
    ),
    ARRAY[pg_temp.v('live_finished_at', 8)],
    'a queued run with finished_at'
);

-- waits_run
SELECT is(
    pg_temp.broken(
        $$INSERT INTO ratchet.waits (run_id, step, event, since)
        SELECT run, 'x', 'x', ratchet.now() FROM c WHERE n = 8$$
    ),
    ARRAY[pg_temp.v('one_place', 8), pg_temp.v('waits_run', 8)],
    'a waits row for a queued run'
);
SELECT is(
    pg_temp.broken(
        $$INSERT INTO ratchet.waits (run_id, step, event, since)
        SELECT run, 'x', 'x', ratchet.now() FROM c WHERE n = 2$$
    ),
    ARRAY[pg_temp.v('one_place', 2), pg_temp.v('waits_run', 2)],
    'a waits row for a completed run'
);
SELECT is(
    pg_temp.broken(
        $$INSERT INTO ratchet.waits (run_id, step, event, since)
        VALUES (-1, 'x', 'x', ratchet.now())$$
    ),
    ARRAY['waits_run -1'],
    'a waits row of a run that does not exist'
);

-- run_waits_waiter
SELECT is(
    pg_temp.broken(
        $$INSERT INTO ratchet.run_waits (awaited, waiter)
        SELECT c8.run, c6.run FROM c AS c8, c AS c6 WHERE c8.n = 8 AND c6.n = 6$$
    ),
    ARRAY[pg_temp.v('run_waits_waiter', 6)],
    'a wait row for a run the waiter does not await'
);
SELECT is(
    pg_temp.broken(
        $$INSERT INTO ratchet.run_waits (awaited, waiter)
        SELECT k.id, c.run FROM k, c WHERE c.n = 1$$
    ),
    ARRAY[pg_temp.v('run_waits_waiter', 1)],
    'a running run as a waiter'
);
SELECT is(
    pg_temp.broken(
        $$INSERT INTO ratchet.run_waits (awaited, waiter) SELECT k.id, -1 FROM k$$
    ),
    ARRAY['run_waits_waiter -1'],
    'a waiter that does not exist'
);

-- run_waits_missing
SELECT is(
    pg_temp.broken(
        $$DELETE FROM ratchet.run_waits WHERE waiter = (SELECT run FROM c WHERE n = 6)$$
    ),
    ARRAY[pg_temp.v('run_waits_missing', 6)],
    'waiting for runs with nothing to wake it'
);

-- history_first
SELECT is(
    pg_temp.broken(
        $$DELETE FROM ratchet.history
        WHERE run_id = (SELECT run FROM c WHERE n = 1) AND kind = 'created'$$
    ),
    ARRAY[pg_temp.v('history_first', 1)],
    'history that does not start at created'
);

-- orphan_step, orphan_event, orphan_history (ids of the open slice: the
-- last three, which no run has)
CREATE TEMP TABLE o AS
SELECT
    max(s.hi) - 1 AS id,
    'steps_s' || max(s.slice) AS steps
FROM ratchet.slices AS s;
SELECT is(
    pg_temp.broken(
        format(
            $$INSERT INTO ratchet.steps (run_id, name, kind, result, created_at)
            VALUES (%s, 'x', 'step', '{}', ratchet.now())$$, (SELECT o.id FROM o)
        ),
        format(
            $$INSERT INTO ratchet.events (run_id, name, payload, sent_at)
            VALUES (%s, 'x', '{}', ratchet.now())$$, (SELECT o.id - 1 FROM o)
        ),
        format(
            $$INSERT INTO ratchet.history (run_id, at, kind)
            VALUES (%s, ratchet.now(), 'created')$$,
            (SELECT o.id - 2 FROM o)
        )
    ),
    (
        SELECT
            ARRAY[
                'orphan_event ' || (o.id - 1),
                'orphan_history ' || (o.id - 2),
                'orphan_step ' || o.id
            ]
        FROM o
    ),
    'steps, events and history of runs that do not exist'
);

-- slice_partitions: the open slice without its steps partition
SELECT is(
    pg_temp.broken(
        format('ALTER TABLE ratchet.steps DETACH PARTITION ratchet.%I', (SELECT o.steps FROM o))
    ),
    ARRAY['slice_partitions -'],
    'a slice missing a partition'
);

-- open_slice: the run id sequence past the open slice
SELECT is(
    pg_temp.broken(
        format('ALTER SEQUENCE ratchet.runs_id_seq RESTART WITH %s', (SELECT o.id + 1 FROM o))
    ),
    ARRAY['open_slice -'],
    'new run ids outside the open slice'
);

-- queue_stats: a view that miscounts the queued runs of queue q
SELECT is(
    pg_temp.broken(
        'ALTER VIEW ratchet.queue_stats RENAME TO queue_stats_real',
        $$CREATE VIEW ratchet.queue_stats AS
        SELECT
            s.queue, s.paused, s.concurrency, s.queued + (s.queue = 'q')::int AS queued,
            s.running, s.sleeping, s.waiting, s.completed, s.failed, s.cancelled,
            s.oldest_queued_age
        FROM ratchet.queue_stats_real AS s$$
    ),
    ARRAY['queue_stats -'],
    'queue_stats miscounts queued runs'
);
SELECT is(
    pg_temp.broken(
        'ALTER VIEW ratchet.queue_stats RENAME TO queue_stats_real',
        $$CREATE VIEW ratchet.queue_stats AS
        SELECT
            s.queue, s.paused, s.concurrency, s.queued / 0 AS queued,
            s.running, s.sleeping, s.waiting, s.completed, s.failed, s.cancelled,
            s.oldest_queued_age
        FROM ratchet.queue_stats_real AS s$$,
        $$DELETE FROM ratchet.pending WHERE run_id = (SELECT run FROM c WHERE n = 8)$$
    ),
    ARRAY[pg_temp.v('one_place', 8), 'queue_stats -'],
    'a queue_stats that raises is reported, and the other rules still are'
);
-- deadline_row
SELECT is(
    pg_temp.broken(
        $$UPDATE ratchet.runs SET deadline = '2030-02-01 00:00:00+00'
        WHERE id = (SELECT run FROM c WHERE n = 8)$$
    ),
    ARRAY[pg_temp.v('deadline_row', 8)],
    'a queued run with a deadline but no deadlines row'
);
SELECT is(
    pg_temp.broken(
        $$INSERT INTO ratchet.deadlines (run_id, deadline)
        SELECT run, '2030-02-01 00:00:00+00' FROM c WHERE n = 2$$
    ),
    ARRAY[pg_temp.v('deadline_row', 2)],
    'a deadlines row for a completed run'
);
SELECT is(
    pg_temp.broken(
        $$UPDATE ratchet.runs SET deadline = '2030-02-01 00:00:00+00'
        WHERE id = (SELECT run FROM c WHERE n = 8)$$,
        $$INSERT INTO ratchet.deadlines (run_id, deadline)
        SELECT run, '2030-03-01 00:00:00+00' FROM c WHERE n = 8$$
    ),
    ARRAY[pg_temp.v('deadline_row', 8)],
    'a deadlines row with another deadline than its run'
);
SELECT is(pg_temp.found(), '{}', 'every change above was undone');

SELECT * FROM finish();
ROLLBACK;
