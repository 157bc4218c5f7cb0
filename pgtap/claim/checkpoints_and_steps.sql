-- A new claim carries the recorded checkpoints and the step names in order.
BEGIN;
SELECT plan(4);

SET LOCAL "ratchet.fake_now" = '2030-01-01 00:00:00+00';
SELECT ratchet.create_queue('q', '{"backoff": {"initial": 1, "jitter": 0}}');
SELECT ratchet.register_workflow('wf', '{"queue": "q"}');
CREATE TEMP TABLE w AS SELECT ratchet.register_worker('w1', ARRAY['q']) AS id;
SELECT ratchet.start('wf');
CREATE TEMP TABLE c1 AS SELECT * FROM ratchet.claim((SELECT w.id FROM w));
SELECT ratchet.checkpoint((SELECT c1.task FROM c1), 'zeta', '{"v": 1}');
SELECT ratchet.checkpoint((SELECT c1.task FROM c1), 'alpha', '[1, 2]');
SELECT ratchet.checkpoint((SELECT c1.task FROM c1), 'mid', 'null');
SELECT ratchet.fail((SELECT c1.task FROM c1), '{"boom": 1}');

SET LOCAL "ratchet.fake_now" = '2030-01-01 00:01:00+00';
CREATE TEMP TABLE c2 AS SELECT * FROM ratchet.claim((SELECT w.id FROM w));

SELECT is(
    (SELECT c2.checkpoints FROM c2),
    '{"zeta": {"v": 1}, "alpha": [1, 2], "mid": null}'::jsonb,
    'checkpoints: step name -> result'
);
SELECT is(
    (SELECT c2.steps FROM c2), ARRAY['zeta', 'alpha', 'mid'],
    'steps in the order they were recorded'
);
SELECT is((SELECT c2.attempt FROM c2), 2, 'attempt 2');
SELECT is(
    ratchet.checkpoint((SELECT c2.task FROM c2), 'zeta', '{"v": 2}'),
    '{"v": 1}'::jsonb,
    'the replayed step returns the recorded result'
);

SELECT * FROM finish();
ROLLBACK;
