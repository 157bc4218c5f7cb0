-- A sleeping run sits only in ratchet.pending, due at its wake time: no task,
-- no waits row.
BEGIN;
SELECT plan(2);

SET LOCAL "ratchet.fake_now" = '2030-01-01 00:00:00+00';
SELECT ratchet.create_queue('q');
SELECT ratchet.register_workflow('wf', '{"queue": "q"}');
CREATE TEMP TABLE w AS SELECT ratchet.register_worker('w1', ARRAY['q']) AS id;
CREATE TEMP TABLE r AS SELECT ratchet.start('wf') AS id;
CREATE TEMP TABLE c AS SELECT * FROM ratchet.claim((SELECT w.id FROM w));
SELECT ratchet.sleep((SELECT c.task FROM c), 'nap', '2030-01-01 00:05:00+00');

SELECT is(
    (
        SELECT
            ARRAY[
                (SELECT count(*) FROM ratchet.pending AS p WHERE p.run_id = r.id),
                (SELECT count(*) FROM ratchet.tasks AS t WHERE t.run_id = r.id),
                (SELECT count(*) FROM ratchet.waits AS x WHERE x.run_id = r.id)
            ]
        FROM r
    ),
    '{1,0,0}',
    'a sleeping run is in pending only'
);
SELECT is(
    (SELECT p.due_at FROM ratchet.pending AS p WHERE p.run_id = (SELECT r.id FROM r)),
    '2030-01-01 00:05:00+00'::timestamptz,
    'due at its wake time'
);

SELECT * FROM finish();
ROLLBACK;
