-- tick purges finished runs past their queue's retention, by the engine clock.
BEGIN;
SELECT plan(8);

SET LOCAL "ratchet.fake_now" = '2030-01-01 00:00:00+00';
SELECT ratchet.create_queue('q', '{"retention": "1 day", "max_attempts": 1}');
SELECT ratchet.register_workflow('wf', '{"queue": "q"}');
CREATE TEMP TABLE w AS SELECT ratchet.register_worker('w1', ARRAY['q']) AS id;
CREATE TEMP TABLE r AS
SELECT
    ratchet.start('wf', '{}', '{"idempotency_key": "k1"}') AS done,
    ratchet.start('wf') AS failed;
CREATE TEMP TABLE c AS SELECT * FROM ratchet.claim((SELECT w.id FROM w), 10);
SELECT ratchet.complete((SELECT c.task FROM c INNER JOIN r ON c.run = r.done));
SELECT ratchet.fail((SELECT c.task FROM c INNER JOIN r ON c.run = r.failed), '{}');
ALTER TABLE r ADD COLUMN waiting bigint;
UPDATE r SET waiting = ratchet.start('wf', '{}', '{"delay": "30 days"}');

SET LOCAL "ratchet.fake_now" = '2030-01-01 23:59:00+00';
SELECT is((ratchet.tick() ->> 'purged')::int, 0, 'nothing within retention');
SELECT is(
    (SELECT count(*) FROM ratchet.runs WHERE id = (SELECT r.done FROM r)), 1::bigint,
    'the completed run is kept within retention'
);
SELECT is(
    ratchet.start('wf', '{}', '{"idempotency_key": "k1"}'), (SELECT r.done FROM r),
    'its idempotency key is remembered'
);

SET LOCAL "ratchet.fake_now" = '2030-01-02 00:00:01+00';
SELECT is((ratchet.tick() ->> 'purged')::int, 2, 'two finished runs purged');
SELECT is(
    (
        SELECT count(
            *) FROM ratchet.runs WHERE id IN (
            SELECT r.done FROM r
            UNION ALL
            SELECT r.failed FROM r
        )
    ),
    0::bigint,
    'they are gone from runs'
);
SELECT throws_ok(
    $$SELECT * FROM ratchet.run_history((SELECT r.done FROM r))$$,
    'RT006', NULL, 'and their history with them: the run is unknown'
);
SELECT is(runs.status, 'queued', 'a live run is never purged')
FROM ratchet.runs INNER JOIN r ON runs.id = r.waiting;
SELECT isnt(
    ratchet.start('wf', '{}', '{"idempotency_key": "k1"}'), (SELECT r.done FROM r),
    'the key is forgotten with its run'
);

SELECT * FROM finish();
ROLLBACK;
