-- register_worker returns a new id per worker; the worker can claim at once.
BEGIN;
SELECT plan(3);

SELECT ratchet.create_queue('q');
SELECT ratchet.register_workflow('wf', '{"queue": "q"}');
CREATE TEMP TABLE w AS
SELECT
    ratchet.register_worker('w1', ARRAY['q']) AS first_id,
    ratchet.register_worker('w1', ARRAY['q'], ARRAY['wf']) AS second_id;
SELECT ratchet.start('wf');

SELECT ok((SELECT w.first_id IS NOT NULL FROM w), 'an id is returned');
SELECT ok(
    (SELECT w.first_id <> w.second_id FROM w),
    'each registration is a new worker, even with the same name'
);
SELECT is(
    (SELECT count(*) FROM ratchet.claim((SELECT w.second_id FROM w))),
    1::bigint,
    'the new worker claims'
);

SELECT * FROM finish();
ROLLBACK;
