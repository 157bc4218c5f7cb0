-- Live work in every state, created with the 0.1.0 API before an upgrade
-- (scripts/upgrade_check.sh). Names and ids go to public.upgrade_fixture; a copy
-- of what the engine holds goes to public.before_* for the after-check.
\set ON_ERROR_STOP on
SET ratchet.fake_now = '2030-01-01 00:00:00+00';

CREATE TABLE public.upgrade_fixture (name text PRIMARY KEY, run bigint, task bigint);

SELECT ratchet.create_queue('upq', '{"concurrency": 10}');
SELECT ratchet.register_workflow('up_wf', '{"queue": "upq"}');
SELECT ratchet.register_workflow('up_parent', '{"queue": "upq"}');
SELECT ratchet.register_workflow('up_child', '{"queue": "upq"}');
SELECT ratchet.register_workflow('up_once', '{"queue": "upq", "max_attempts": 1}');

-- Runs that reach each state: start them all first, claim them one by one.
INSERT INTO public.upgrade_fixture (name, run)
SELECT v.name, ratchet.start(v.workflow, jsonb_build_object('name', v.name), v.options)
FROM (VALUES
    ('completed', 'up_wf', '{"priority": 1}'::jsonb),
    ('failed', 'up_once', '{"priority": 2}'),
    ('running', 'up_wf', '{"priority": 3}'),
    ('sleeping', 'up_wf', '{"priority": 4}'),
    ('waiting_event', 'up_wf', '{"priority": 5}'),
    ('buffered', 'up_wf', '{"priority": 6}'),
    ('parent', 'up_parent', '{"priority": 7}'),
    ('queued', 'up_wf', '{"priority": 20}'),
    ('delayed', 'up_wf', '{"priority": 20, "run_at": "2030-01-01 05:00:00+00"}'),
    ('cancelled', 'up_wf', '{"priority": 20}')
) AS v (name, workflow, options);

SELECT ratchet.cancel(run, 'no longer needed') FROM public.upgrade_fixture WHERE name = 'cancelled';

CREATE TEMP TABLE w AS
SELECT ratchet.register_worker('upgrade-check', ARRAY['upq']) AS id;

-- claim_one(NAME): claim the next run (priority order) and record its task.
CREATE FUNCTION pg_temp.claim_one(p_name text) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE v_task bigint; v_run bigint;
BEGIN
    SELECT c.task, c.run INTO v_task, v_run FROM ratchet.claim((SELECT id FROM w), 1) AS c;
    IF v_run IS DISTINCT FROM (SELECT run FROM public.upgrade_fixture WHERE name = p_name) THEN
        RAISE EXCEPTION 'expected to claim % but got run %', p_name, v_run;
    END IF;
    UPDATE public.upgrade_fixture SET task = v_task WHERE name = p_name;
    RETURN v_task;
END $$;

SELECT ratchet.checkpoint(pg_temp.claim_one('completed'), 'first', '{"ok": 1}');
SELECT ratchet.complete(task, '{"done": true}') FROM public.upgrade_fixture WHERE name = 'completed';

SELECT ratchet.fail(pg_temp.claim_one('failed'), '{"message": "boom"}');

SELECT ratchet.checkpoint(pg_temp.claim_one('running'), 'half', '{"progress": 50}');

SELECT ratchet.checkpoint(pg_temp.claim_one('sleeping'), 'before', '{"n": 1}');
SELECT ratchet.sleep(task, 'nap', '2030-01-01 02:00:00+00') FROM public.upgrade_fixture WHERE name = 'sleeping';

SELECT ratchet.await_event(pg_temp.claim_one('waiting_event'), 'approval', 'approve', interval '30 days');

-- An event buffered for a run that has not asked for it yet.
SELECT pg_temp.claim_one('buffered');
SELECT ratchet.signal(run, 'go', '{"buffered": true}') FROM public.upgrade_fixture WHERE name = 'buffered';
SELECT ratchet.signal(run, 'go', '{"buffered": 2}') FROM public.upgrade_fixture WHERE name = 'buffered';
SELECT ratchet.checkpoint(task, 'pre', 'true') FROM public.upgrade_fixture WHERE name = 'buffered';

-- A parent waiting for two children, one of which has finished already (0.1.0
-- deleted that run_waits row; the upgrade must restore it).
SELECT pg_temp.claim_one('parent');
INSERT INTO public.upgrade_fixture (name, run)
SELECT 'child_' || n, ratchet.start_child(f.task, 'child_' || n, 'up_child', jsonb_build_object('n', n), '{"priority": 0}')
FROM public.upgrade_fixture AS f CROSS JOIN generate_series(1, 2) AS n
WHERE f.name = 'parent';
SELECT ratchet.await_runs(
    (SELECT task FROM public.upgrade_fixture WHERE name = 'parent'), 'join',
    ARRAY(SELECT run FROM public.upgrade_fixture WHERE name LIKE 'child_%' ORDER BY name)
);
SELECT ratchet.complete(pg_temp.claim_one('child_1'), '{"child": 1}');

-- Snapshots for the after-check.
CREATE TABLE public.before_runs AS
SELECT id, workflow, queue, status, input, output, error, attempt, priority, parent, created_at, finished_at
FROM ratchet.runs;
CREATE TABLE public.before_history AS SELECT run_id, id, at, kind, step, detail FROM ratchet.history;
CREATE TABLE public.before_steps AS SELECT run_id, name, kind, result FROM ratchet.steps;
CREATE TABLE public.before_events AS SELECT run_id, name, payload, consumed_by FROM ratchet.events;

SELECT name, run, task, (SELECT status FROM ratchet.runs WHERE id = run) AS status
FROM public.upgrade_fixture ORDER BY run;
