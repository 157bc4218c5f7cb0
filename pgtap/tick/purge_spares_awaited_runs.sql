-- Defect D9: purge skips a finished run while a waiting run awaits it, and
-- purges it once that waiter has ended.
BEGIN;
SELECT plan(4);

SET LOCAL "ratchet.fake_now" = '2030-01-01 00:00:00+00';
SELECT ratchet.create_queue('q', '{"retention": "1 second"}');
SELECT ratchet.register_workflow('wf', '{"queue": "q"}');
CREATE TEMP TABLE w AS SELECT ratchet.register_worker('w1', ARRAY['q']) AS id;
CREATE TEMP TABLE r AS
SELECT
    ratchet.start('wf') AS done,
    ratchet.start('wf') AS open;
CREATE TEMP TABLE c AS SELECT * FROM ratchet.claim((SELECT w.id FROM w), 10);
SELECT ratchet.complete((SELECT c.task FROM c INNER JOIN r ON c.run = r.done));
ALTER TABLE r ADD COLUMN waiter bigint;
UPDATE r SET waiter = ratchet.start('wf');
CREATE TEMP TABLE cw AS SELECT * FROM ratchet.claim((SELECT w.id FROM w));
SELECT ratchet.await_runs(
    (SELECT cw.task FROM cw), 'join', (SELECT ARRAY[r.done, r.open] FROM r)
);

SET LOCAL "ratchet.fake_now" = '2030-01-01 01:00:00+00';
SELECT is((ratchet.tick() ->> 'purged')::int, 0, 'nothing purged while the waiter waits');
SELECT is(
    (SELECT runs.status FROM ratchet.runs INNER JOIN r ON runs.id = r.done), 'completed',
    'the awaited run is still there'
);

SELECT ratchet.cancel((SELECT r.waiter FROM r));
SELECT is(
    (SELECT count(*) FROM ratchet.run_waits), 0::bigint, 'the ended waiter has no wait rows'
);
SET LOCAL "ratchet.fake_now" = '2030-01-01 02:00:00+00';
SELECT is((ratchet.tick() ->> 'purged')::int, 2, 'the awaited run and the waiter are purged');

SELECT * FROM finish();
ROLLBACK;
