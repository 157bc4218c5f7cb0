-- After retry, completed steps stay completed and come back with the claim.
BEGIN;
SELECT plan(3);

SELECT ratchet.create_queue('q');
SELECT ratchet.register_workflow('wf', '{"queue": "q"}');
CREATE TEMP TABLE w AS SELECT ratchet.register_worker('w1', ARRAY['q']) AS id;
CREATE TEMP TABLE r AS SELECT ratchet.start('wf') AS id;
CREATE TEMP TABLE c1 AS SELECT * FROM ratchet.claim((SELECT w.id FROM w));
SELECT ratchet.checkpoint((SELECT c1.task FROM c1), 'fetch', '{"rows": 3}');
SELECT ratchet.checkpoint((SELECT c1.task FROM c1), 'parse', '"ok"');
SELECT ratchet.fail((SELECT c1.task FROM c1), '{"e": 1}', 'store', FALSE);
SELECT ratchet.retry((SELECT r.id FROM r));
CREATE TEMP TABLE c2 AS SELECT * FROM ratchet.claim((SELECT w.id FROM w));

SELECT is(
    (SELECT c2.checkpoints FROM c2),
    '{"fetch": {"rows": 3}, "parse": "ok"}'::jsonb,
    'the recorded steps come back'
);
SELECT is(
    (SELECT c2.steps FROM c2), ARRAY['fetch', 'parse'], 'in their order'
);
SELECT is(
    ratchet.checkpoint((SELECT c2.task FROM c2), 'fetch', '{"rows": 99}'),
    '{"rows": 3}'::jsonb,
    'a step stays written once'
);

SELECT * FROM finish();
ROLLBACK;
