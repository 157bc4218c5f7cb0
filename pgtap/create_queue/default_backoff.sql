-- Default backoff: the first retry waits 1 s spread by +/- 20 %.
BEGIN;
SELECT plan(3);

SET LOCAL "ratchet.fake_now" = '2030-01-01 00:00:00+00';
SELECT ratchet.create_queue('q');
SELECT ratchet.register_workflow('wf', '{"queue": "q"}');
CREATE TEMP TABLE w AS SELECT ratchet.register_worker('w1', ARRAY['q']) AS id;
SELECT ratchet.start('wf');
CREATE TEMP TABLE c AS SELECT * FROM ratchet.claim((SELECT id FROM w));

SELECT is(
    ratchet.fail((SELECT task FROM c), '{"boom": 1}'), 'retrying',
    'the first failure retries'
);

SET LOCAL "ratchet.fake_now" = '2030-01-01 00:00:00.79+00';
SELECT is(
    (SELECT count(*) FROM ratchet.claim((SELECT id FROM w))), 0::bigint,
    'not claimable before 0.8 s'
);

SET LOCAL "ratchet.fake_now" = '2030-01-01 00:00:01.21+00';
SELECT is(
    (SELECT count(*) FROM ratchet.claim((SELECT id FROM w))), 1::bigint,
    'claimable by 1.2 s'
);

SELECT * FROM finish();
ROLLBACK;
