-- Retries, failure and a manual retry show up in the history in order.
BEGIN;
SELECT plan(2);

SET LOCAL "ratchet.fake_now" = '2030-01-01 00:00:00+00';
SELECT ratchet.create_queue(
    'q', '{"max_attempts": 2, "backoff": {"initial": 1, "jitter": 0}}'
);
SELECT ratchet.register_workflow('wf', '{"queue": "q"}');
CREATE TEMP TABLE w AS SELECT ratchet.register_worker('w1', ARRAY['q']) AS id;
CREATE TEMP TABLE r AS SELECT ratchet.start('wf') AS id;
CREATE TEMP TABLE c1 AS SELECT * FROM ratchet.claim((SELECT w.id FROM w));
SELECT ratchet.fail((SELECT c1.task FROM c1), '{"e": 1}');
SET LOCAL "ratchet.fake_now" = '2030-01-01 00:01:00+00';
CREATE TEMP TABLE c2 AS SELECT * FROM ratchet.claim((SELECT w.id FROM w));
SELECT ratchet.fail((SELECT c2.task FROM c2), '{"e": 2}');
SELECT ratchet.retry((SELECT r.id FROM r));
SELECT ratchet.cancel((SELECT r.id FROM r));

SELECT is(
    (
        SELECT array_agg(h.kind ORDER BY h.seq)
        FROM ratchet.run_history((SELECT r.id FROM r)) AS h
    ),
    ARRAY[
        'created', 'claimed', 'retrying', 'claimed', 'failed', 'retried',
        'cancelled'
    ],
    'created, claimed, retrying, claimed, failed, retried, cancelled'
);
SELECT is(
    (
        SELECT h.detail @> '{"e": 1}' OR h.detail @> '{"error": {"e": 1}}'
        FROM ratchet.run_history((SELECT r.id FROM r)) AS h
        WHERE h.kind = 'retrying'
    ),
    TRUE,
    'the retrying entry carries the error'
);

SELECT * FROM finish();
ROLLBACK;
