-- After the upgrade (scripts/upgrade_check.sh): nothing the old engine held was
-- lost or changed, and the new engine finishes every piece of live work that
-- live_work_0.1.0.sql left behind. Any failed check raises, so psql exits non-zero.
\set ON_ERROR_STOP on
SET ratchet.fake_now = '2030-01-01 00:00:05+00';

CREATE FUNCTION pg_temp.check(ok boolean, what text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF ok IS NOT TRUE THEN
        RAISE EXCEPTION 'upgrade check failed: %', what;
    END IF;
    RAISE NOTICE 'ok: %', what;
END $$;

CREATE FUNCTION pg_temp.run(p_name text) RETURNS bigint LANGUAGE sql AS $$
    SELECT run FROM public.upgrade_fixture WHERE name = p_name
$$;

SELECT pg_temp.check(ratchet.version() = :'version', 'ratchet.version() is ' || :'version');

-- Nothing lost or changed.
SELECT pg_temp.check(NOT EXISTS (
    SELECT id, workflow, queue, status, input, output, error, attempt, priority, parent, created_at, finished_at
    FROM public.before_runs
    EXCEPT
    SELECT id, workflow, queue, status, input, output, error, attempt, priority, parent, created_at, finished_at
    FROM ratchet.runs
), 'every run kept with its status, input, output and error');
SELECT pg_temp.check(NOT EXISTS (
    SELECT * FROM public.before_history
    EXCEPT SELECT run_id, id, at, kind, step, detail FROM ratchet.history
), 'the whole history kept');
SELECT pg_temp.check(NOT EXISTS (
    SELECT * FROM public.before_steps EXCEPT SELECT run_id, name, kind, result FROM ratchet.steps
), 'every checkpoint kept');
SELECT pg_temp.check(NOT EXISTS (
    SELECT * FROM public.before_events EXCEPT SELECT run_id, name, payload, consumed_by FROM ratchet.events
), 'every event kept, buffered ones still unread');
SELECT pg_temp.check(
    (SELECT count(*) FROM ratchet.run_waits WHERE waiter = pg_temp.run('parent')) = 2,
    'the waiting parent awaits both children again (0.1.0 had dropped the finished one)'
);
SELECT pg_temp.check(NOT EXISTS (SELECT FROM ratchet.check_invariants()), 'the engine''s invariants hold after the upgrade');

-- The task held across the upgrade still works for its worker.
SELECT ratchet.checkpoint(task, 'second_half', '{"progress": 100}') FROM public.upgrade_fixture WHERE name = 'running';
SELECT ratchet.complete(task, '{"finished": "after upgrade"}') FROM public.upgrade_fixture WHERE name = 'running';

-- The buffered events are delivered in order.
SELECT pg_temp.check(
    ratchet.await_event(task, 'go_1', 'go') = '{"payload": {"buffered": true}}'
    AND ratchet.await_event(task, 'go_2', 'go') = '{"payload": {"buffered": 2}}',
    'events buffered before the upgrade are consumed in order'
) FROM public.upgrade_fixture WHERE name = 'buffered';
SELECT ratchet.complete(task) FROM public.upgrade_fixture WHERE name = 'buffered';

SELECT ratchet.signal(pg_temp.run('waiting_event'), 'approve', '{"by": "upgrade-check"}');

-- A new worker finishes the rest; the clock passes the sleep and the delay.
SET ratchet.fake_now = '2030-01-01 06:00:00+00';
CREATE TEMP TABLE w2 AS SELECT ratchet.register_worker('upgrade-check-2', ARRAY['upq']) AS id;
CREATE TEMP TABLE claimed (run bigint, checkpoints jsonb, result jsonb);

DO $$
DECLARE
    c record;
    v_result jsonb;
    v_rounds int := 0;
BEGIN
    LOOP
        v_rounds := v_rounds + 1;
        IF v_rounds > 50 THEN
            RAISE EXCEPTION 'upgrade check failed: work still claimable after 50 rounds';
        END IF;
        SELECT * INTO c FROM ratchet.claim((SELECT id FROM w2), 1);
        EXIT WHEN c.task IS NULL;
        v_result := null;
        IF c.workflow = 'up_parent' THEN
            v_result := ratchet.await_runs(c.task, 'join', ARRAY(
                SELECT run FROM public.upgrade_fixture WHERE name LIKE 'child_%' ORDER BY name
            ));
            IF v_result IS NULL THEN
                -- suspended again: the other child has not finished yet
                INSERT INTO claimed VALUES (c.run, c.checkpoints, null);
                CONTINUE;
            END IF;
        ELSIF c.run = (SELECT run FROM public.upgrade_fixture WHERE name = 'waiting_event') THEN
            v_result := ratchet.await_event(c.task, 'approval', 'approve');
        END IF;
        INSERT INTO claimed VALUES (c.run, c.checkpoints, v_result);
        PERFORM ratchet.complete(c.task, jsonb_build_object('after_upgrade', true, 'got', v_result));
    END LOOP;
END $$;

SELECT pg_temp.check(
    (SELECT array_agg(name ORDER BY name) FROM public.upgrade_fixture AS f
     JOIN ratchet.runs AS r ON r.id = f.run WHERE r.status <> 'completed')
    = ARRAY['cancelled', 'failed'],
    'every live run completed (only the cancelled and the failed one did not)'
);
SELECT pg_temp.check(
    (SELECT result::text LIKE '%"child": 1%' AND result::text LIKE '%"after_upgrade": true%'
     FROM claimed WHERE run = pg_temp.run('parent') AND result IS NOT NULL),
    'the parent resumed with its children''s outcomes'
);
SELECT pg_temp.check(
    (SELECT result FROM claimed WHERE run = pg_temp.run('waiting_event'))
    = '{"payload": {"by": "upgrade-check"}}',
    'the run waiting for an event got the signal sent after the upgrade'
);
SELECT pg_temp.check(
    (SELECT checkpoints ? 'before' FROM claimed WHERE run = pg_temp.run('sleeping')),
    'the sleeping run woke with its checkpoint'
);
SELECT pg_temp.check(
    (SELECT output FROM ratchet.runs WHERE id = pg_temp.run('running'))
    = '{"finished": "after upgrade"}',
    'the run held across the upgrade finished under its old task'
);
SELECT pg_temp.check(NOT EXISTS (SELECT FROM ratchet.check_invariants()), 'the engine''s invariants hold at the end');

-- The pgTAP suite that runs next counts rows as if the engine were empty: let
-- retention purge the finished runs (the engine's own way), then drop the rest.
SELECT ratchet.create_queue('upq', '{"retention": 0}');
SET ratchet.fake_now = '2030-01-02 00:00:00+00';
-- Runs leave by slices: the first tick closes the open slice, the second drops it.
SELECT ratchet.tick();
SELECT ratchet.tick();
SELECT pg_temp.check(NOT EXISTS (SELECT FROM ratchet.runs), 'retention purged every finished run');
SELECT ratchet.deregister_worker(id) FROM w2;
-- No API removes a queue, a workflow or a worker record: remove the fixture's own.
DELETE FROM ratchet.workers;
DELETE FROM ratchet.workflows WHERE queue = 'upq';
DELETE FROM ratchet.queues WHERE name = 'upq';
DROP TABLE public.upgrade_fixture, public.before_runs, public.before_history,
public.before_steps, public.before_events;
