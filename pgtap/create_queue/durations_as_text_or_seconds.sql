-- Durations are interval text or a number of seconds.
BEGIN;
SELECT plan(5);

SET LOCAL "ratchet.fake_now" = '2030-01-01 00:00:00+00';
SELECT ratchet.create_queue('q_num', '{"lease": 12}');
SELECT ratchet.create_queue('q_frac', '{"lease": 1.5}');
SELECT ratchet.create_queue('q_text', '{"lease": "2 minutes"}');
SELECT ratchet.create_queue(
    'q_backoff', '{"backoff": {"initial": 4, "max": 60, "jitter": 0}}'
);
SELECT ratchet.register_workflow('wf_num', '{"queue": "q_num"}');
SELECT ratchet.register_workflow('wf_frac', '{"queue": "q_frac"}');
SELECT ratchet.register_workflow('wf_text', '{"queue": "q_text"}');
SELECT ratchet.register_workflow('wf_backoff', '{"queue": "q_backoff"}');
SELECT ratchet.start(wf)
FROM unnest(ARRAY['wf_num', 'wf_frac', 'wf_text', 'wf_backoff']) AS wf;
CREATE TEMP TABLE w AS
SELECT ratchet.register_worker(
    'w1', ARRAY['q_num', 'q_frac', 'q_text', 'q_backoff']
) AS id;
CREATE TEMP TABLE c AS SELECT * FROM ratchet.claim((SELECT id FROM w), 10);

SELECT is(
    (
        SELECT lease_expires_at FROM c
        WHERE queue = 'q_num'
    ),
    '2030-01-01 00:00:12+00'::timestamptz,
    'lease 12 means 12 seconds'
);
SELECT is(
    (
        SELECT lease_expires_at FROM c
        WHERE queue = 'q_frac'
    ),
    '2030-01-01 00:00:01.5+00'::timestamptz,
    'lease 1.5 means 1.5 seconds'
);
SELECT is(
    (
        SELECT lease_expires_at FROM c
        WHERE queue = 'q_text'
    ),
    '2030-01-01 00:02:00+00'::timestamptz,
    'lease "2 minutes" means 2 minutes'
);

SELECT ratchet.complete(task) FROM c
WHERE queue <> 'q_backoff';
SELECT ratchet.fail((
    SELECT task FROM c
    WHERE queue = 'q_backoff'
), '{}');
SET LOCAL "ratchet.fake_now" = '2030-01-01 00:00:03.9+00';
SELECT is(
    (SELECT count(*) FROM ratchet.claim((SELECT id FROM w), 10)), 0::bigint,
    'backoff initial 4: not due before 4 seconds'
);
SET LOCAL "ratchet.fake_now" = '2030-01-01 00:00:04+00';
SELECT is(
    (SELECT count(*) FROM ratchet.claim((SELECT id FROM w), 10)), 1::bigint,
    'backoff initial 4 means 4 seconds'
);

SELECT * FROM finish();
ROLLBACK;
