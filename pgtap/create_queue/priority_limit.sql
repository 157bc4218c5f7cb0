-- priority_limit caps how urgent a start may ask to be on the queue (part of
-- D11): a lower priority is refused with RT005 naming the limit and writes
-- nothing; a start that gives no priority gets the limit when it is above 0.
BEGIN;
SELECT plan(12);

SELECT ratchet.create_queue('q', '{"priority_limit": 5}');
SELECT ratchet.register_workflow('wf', '{"queue": "q"}');

SELECT is(
    (SELECT priority_limit FROM ratchet.queues WHERE name = 'q'), 5::smallint,
    'the limit is stored'
);
SELECT is(
    (SELECT priority_limit FROM ratchet.queues WHERE name = 'default'), NULL::smallint,
    'no limit by default'
);
SELECT throws_ok(
    $$SELECT ratchet.start('wf', '{}', '{"priority": 4}')$$,
    'RT005', 'start: priority 4 is more urgent than queue q allows (priority_limit 5)',
    'start with a priority below the limit'
);
SELECT throws_ok(
    $$SELECT ratchet.start_many('wf', '[{}, {}]', '{"priority": -32768}')$$,
    'RT005', 'start_many: priority -32768 is more urgent than queue q allows (priority_limit 5)',
    'start_many with a priority below the limit'
);
SELECT throws_ok(
    $$SELECT ratchet.start('wf', '{}', '{"priority": 0, "queue": "q"}')$$,
    'RT005', NULL,
    'the limit of the queue named in the options applies'
);
SELECT is(
    (SELECT count(*) FROM ratchet.runs), 0::bigint, 'the refused starts wrote nothing'
);

CREATE TEMP TABLE r AS
SELECT
    ratchet.start('wf', '{}', '{"priority": 5}') AS at_limit,
    ratchet.start('wf') AS unasked;
SELECT is(
    (SELECT priority FROM ratchet.runs WHERE id = (SELECT r.at_limit FROM r)), 5::smallint,
    'a priority at the limit is accepted'
);
SELECT is(
    (SELECT priority FROM ratchet.runs WHERE id = (SELECT r.unasked FROM r)), 5::smallint,
    'a start that gives no priority gets the limit'
);

-- start_child is held to the child's queue.
CREATE TEMP TABLE w AS SELECT ratchet.register_worker('w1', ARRAY['q']) AS id;
CREATE TEMP TABLE c AS SELECT * FROM ratchet.claim((SELECT w.id FROM w));
SELECT throws_ok(
    $$SELECT ratchet.start_child((SELECT c.task FROM c), 'kid', 'wf', '{}', '{"priority": 1}')$$,
    'RT005', 'start_child: priority 1 is more urgent than queue q allows (priority_limit 5)',
    'start_child with a priority below the limit'
);

SELECT throws_ok(
    $$SELECT ratchet.create_queue('q', '{"priority_limit": 32768}')$$,
    'RT005', 'option priority_limit must be an integer from -32768 to 32767, got 32768',
    'a limit outside smallint'
);
SELECT ratchet.create_queue('q', '{"priority_limit": null}');
SELECT is(
    (SELECT priority_limit FROM ratchet.queues WHERE name = 'q'), NULL::smallint,
    'null removes the limit'
);
SELECT lives_ok(
    $$SELECT ratchet.start('wf', '{}', '{"priority": -32768}')$$,
    'without a limit any priority is accepted'
);

SELECT * FROM finish();
ROLLBACK;
