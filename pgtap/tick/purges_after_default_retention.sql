-- The default retention is 7 days.
BEGIN;
SELECT plan(2);

SET LOCAL "ratchet.fake_now" = '2030-01-01 00:00:00+00';
SELECT ratchet.create_queue('q');
SELECT ratchet.register_workflow('wf', '{"queue": "q"}');
CREATE TEMP TABLE r AS SELECT ratchet.start('wf') AS id;
SELECT ratchet.cancel((SELECT r.id FROM r));

SET LOCAL "ratchet.fake_now" = '2030-01-07 23:59:00+00';
SELECT ratchet.tick();
SELECT is(
    (SELECT count(*) FROM ratchet.runs WHERE id = (SELECT r.id FROM r)), 1::bigint,
    'kept for just under 7 days'
);
SET LOCAL "ratchet.fake_now" = '2030-01-08 00:00:01+00';
SELECT ratchet.tick();
SELECT is(
    (SELECT count(*) FROM ratchet.runs WHERE id = (SELECT r.id FROM r)), 0::bigint,
    'purged after 7 days'
);

SELECT * FROM finish();
ROLLBACK;
