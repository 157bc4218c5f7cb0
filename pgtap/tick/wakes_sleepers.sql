-- tick promotes sleeping runs whose wake_at has come.
BEGIN;
SELECT plan(4);

SET LOCAL "ratchet.fake_now" = '2030-01-01 00:00:00+00';
SELECT ratchet.create_queue('q');
SELECT ratchet.register_workflow('wf', '{"queue": "q"}');
CREATE TEMP TABLE w AS SELECT ratchet.register_worker('w1', ARRAY['q']) AS id;
CREATE TEMP TABLE r AS SELECT ratchet.start('wf') AS id;
CREATE TEMP TABLE c AS SELECT * FROM ratchet.claim((SELECT w.id FROM w));
SELECT ratchet.sleep((SELECT c.task FROM c), 'nap', '2030-01-01 00:00:10+00');

SET LOCAL "ratchet.fake_now" = '2030-01-01 00:00:09+00';
SELECT is((ratchet.tick() ->> 'woken')::int, 0, 'not before wake_at');
SELECT is(runs.status, 'sleeping', 'still sleeping')
FROM ratchet.runs INNER JOIN r ON runs.id = r.id;
SET LOCAL "ratchet.fake_now" = '2030-01-01 00:00:10+00';
SELECT is((ratchet.tick() ->> 'woken')::int, 1, 'woken at wake_at');
SELECT is(runs.status, 'queued', 'queued')
FROM ratchet.runs INNER JOIN r ON runs.id = r.id;

SELECT * FROM finish();
ROLLBACK;
