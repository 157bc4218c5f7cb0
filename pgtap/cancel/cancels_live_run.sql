-- cancel of a live run returns true and cancels it at once.
BEGIN;
SELECT plan(7);

SET LOCAL "ratchet.fake_now" = '2030-01-01 00:00:00+00';
SELECT ratchet.create_queue('q');
SELECT ratchet.register_workflow('wf', '{"queue": "q"}');
CREATE TEMP TABLE w AS SELECT ratchet.register_worker('w1', ARRAY['q']) AS id;
CREATE TEMP TABLE r AS SELECT ratchet.start('wf') AS id;
SET LOCAL "ratchet.fake_now" = '2030-01-01 00:00:03+00';

SELECT is(
    ratchet.cancel((SELECT r.id FROM r), 'no longer needed'), TRUE,
    'cancelling a queued run returns true'
);
SELECT is(runs.status, 'cancelled', 'status cancelled')
FROM ratchet.runs INNER JOIN r ON runs.id = r.id;
SELECT
    is(
        runs.finished_at, '2030-01-01 00:00:03+00'::timestamptz, 'finished_at'
    )
FROM ratchet.runs INNER JOIN r ON runs.id = r.id;
SELECT is(
    (
        SELECT h.kind FROM ratchet.run_history((SELECT r.id FROM r)) AS h
        ORDER BY h.seq DESC LIMIT 1
    ),
    'cancelled',
    'history ends with cancelled'
);
SELECT is(
    (SELECT count(*) FROM ratchet.claim((SELECT w.id FROM w), 10)), 0::bigint,
    'a cancelled run is not claimed'
);

-- A suspended run is live too.
CREATE TEMP TABLE r2 AS SELECT ratchet.start('wf') AS id;
CREATE TEMP TABLE c2 AS SELECT * FROM ratchet.claim((SELECT w.id FROM w));
SELECT ratchet.sleep((SELECT c2.task FROM c2), 'nap', '2030-02-01 00:00:00+00');
SELECT is(
    ratchet.cancel((SELECT r2.id FROM r2)), TRUE,
    'cancelling a sleeping run returns true'
);
SET LOCAL "ratchet.fake_now" = '2030-03-01 00:00:00+00';
SELECT is(
    (SELECT count(*) FROM ratchet.claim((SELECT w.id FROM w), 10)), 0::bigint,
    'and it does not wake up'
);

SELECT * FROM finish();
ROLLBACK;
