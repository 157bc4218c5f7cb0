-- A queue sends at most one NOTIFY per notify_interval_ms (default 10): a
-- start within the interval of the last wake-up leaves queue_signals alone
-- (and sends none); a later one stamps a slot. The stamps are what decides,
-- so they are what these tests watch (a rolled-back test sends no NOTIFY).
BEGIN;
SELECT plan(15);

SELECT ratchet.create_queue('q');
SELECT ratchet.register_workflow('wf', '{"queue": "q"}');
CREATE TEMP VIEW stamp AS
SELECT max(s.notified_at) AS notified_at FROM ratchet.queue_signals AS s WHERE s.queue = 'q';

SELECT results_eq(
    $$SELECT s.slot, s.notified_at FROM ratchet.queue_signals AS s WHERE s.queue = 'q'
    ORDER BY s.slot$$,
    $$VALUES (0::smallint, '-infinity'::timestamptz), (1::smallint, '-infinity'::timestamptz)$$,
    'a new queue has two wake-up slots that have never notified'
);

SET LOCAL "ratchet.fake_now" = '2030-01-01 00:00:00+00';
SELECT ratchet.start('wf');
SELECT is(
    (SELECT stamp.notified_at FROM stamp), '2030-01-01 00:00:00+00'::timestamptz,
    'the first ready run notifies and stamps the time'
);

SET LOCAL "ratchet.fake_now" = '2030-01-01 00:00:00.009+00';
SELECT ratchet.start('wf');
SELECT ratchet.start_many('wf', '[{}, {}]');
SELECT is(
    (SELECT stamp.notified_at FROM stamp), '2030-01-01 00:00:00+00'::timestamptz,
    'starts within 10 ms of it are coalesced into it'
);

SET LOCAL "ratchet.fake_now" = '2030-01-01 00:00:00.010+00';
SELECT ratchet.start('wf');
SELECT is(
    (SELECT stamp.notified_at FROM stamp), '2030-01-01 00:00:00.010+00'::timestamptz,
    'a start 10 ms later notifies again'
);

SET LOCAL "ratchet.fake_now" = '2030-01-01 00:01:00+00';
SELECT ratchet.start('wf', '{}', '{"delay": 60}');
SELECT is(
    (SELECT stamp.notified_at FROM stamp), '2030-01-01 00:00:00.010+00'::timestamptz,
    'a run due later is no ready work: no wake-up'
);

DO $$
BEGIN
    PERFORM ratchet.start('wf');
    RAISE EXCEPTION 'the producer rolls back';
EXCEPTION WHEN raise_exception THEN
    NULL;
END;
$$;
SELECT is(
    (SELECT stamp.notified_at FROM stamp), '2030-01-01 00:00:00.010+00'::timestamptz,
    'a notifier that rolls back takes its stamp with it'
);
SELECT ratchet.start('wf');
SELECT is(
    (SELECT stamp.notified_at FROM stamp), '2030-01-01 00:01:00+00'::timestamptz,
    'so the next start notifies'
);

SET LOCAL "ratchet.fake_now" = '2029-12-31 00:00:00+00';
SELECT ratchet.start('wf');
SELECT is(
    (SELECT stamp.notified_at FROM stamp), '2029-12-31 00:00:00+00'::timestamptz,
    'a clock that went back does not silence the queue'
);

-- Queues that send nothing leave their record alone.
SELECT ratchet.create_queue('q', '{"notify": false}');
SET LOCAL "ratchet.fake_now" = '2030-01-02 00:00:00+00';
SELECT ratchet.start('wf');
SELECT is(
    (SELECT stamp.notified_at FROM stamp), '2029-12-31 00:00:00+00'::timestamptz,
    'a queue with notify off is never stamped'
);

-- The slot-freed trigger of a concurrency-limited queue goes the same way.
SELECT ratchet.create_queue('q', '{"notify": true, "concurrency": 1}');
CREATE TEMP TABLE w AS SELECT ratchet.register_worker('w1', ARRAY['q']) AS id;
CREATE TEMP TABLE c AS SELECT cl.task FROM ratchet.claim((SELECT w.id FROM w), 1) AS cl;
SET LOCAL "ratchet.fake_now" = '2030-01-02 00:00:05+00';
SELECT ratchet.complete((SELECT c.task FROM c), '{}');
SELECT is(
    (SELECT stamp.notified_at FROM stamp), '2030-01-02 00:00:05+00'::timestamptz,
    'a task ending in a concurrency-limited queue wakes it'
);

-- The interval is a setting; 0 notifies every time without the record.
SELECT is(ratchet.configure('notify_interval_ms', '1000'), '1000'::jsonb, 'the interval is set');
SET LOCAL "ratchet.fake_now" = '2030-01-02 00:00:05.999+00';
SELECT ratchet.start('wf');
SELECT is(
    (SELECT stamp.notified_at FROM stamp), '2030-01-02 00:00:05+00'::timestamptz,
    'a start within the longer interval is coalesced'
);
SELECT ratchet.configure('notify_interval_ms', '0');
SET LOCAL "ratchet.fake_now" = '2030-01-03 00:00:00+00';
SELECT ratchet.start('wf');
SELECT is(
    (SELECT stamp.notified_at FROM stamp), '2030-01-02 00:00:05+00'::timestamptz,
    'with interval 0 the record is not used'
);
SELECT throws_ok(
    $$SELECT ratchet.configure('notify_interval_ms', '1001')$$, 'RT005', NULL,
    'an interval over 1000 ms is refused'
);
SELECT throws_ok(
    $$SELECT ratchet.configure('notify_interval_ms', '-1')$$, 'RT005', NULL,
    'a negative interval is refused'
);

SELECT * FROM finish();
ROLLBACK;
