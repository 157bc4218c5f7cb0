-- oldest_queued_age is the age of the longest-waiting queued run.
BEGIN;
SELECT plan(3);

SET LOCAL "ratchet.fake_now" = '2030-01-01 00:00:00+00';
SELECT ratchet.create_queue('q');
SELECT ratchet.register_workflow('wf', '{"queue": "q"}');
SELECT ok(
    (SELECT oldest_queued_age IS NULL FROM ratchet.queue_stats WHERE queue = 'q'),
    'null while nothing is queued'
);
SELECT ratchet.start('wf');
SET LOCAL "ratchet.fake_now" = '2030-01-01 00:00:30+00';
SELECT ratchet.start('wf');
SET LOCAL "ratchet.fake_now" = '2030-01-01 00:01:00+00';

SELECT is(
    (SELECT oldest_queued_age FROM ratchet.queue_stats WHERE queue = 'q'),
    interval '1 minute',
    'the oldest run has waited one minute by the engine clock'
);
CREATE TEMP TABLE w AS SELECT ratchet.register_worker('w1', ARRAY['q']) AS id;
SELECT ratchet.claim((SELECT w.id FROM w), 1);
SELECT is(
    (SELECT oldest_queued_age FROM ratchet.queue_stats WHERE queue = 'q'),
    interval '30 seconds',
    'once it is claimed, the next one counts'
);

SELECT * FROM finish();
ROLLBACK;
