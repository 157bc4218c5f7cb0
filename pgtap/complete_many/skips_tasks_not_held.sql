-- complete_many skips tasks no longer held, without raising.
BEGIN;
SELECT plan(4);

SET LOCAL "ratchet.fake_now" = '2030-01-01 00:00:00+00';
SELECT ratchet.create_queue('q_short', '{"lease": "10 seconds"}');
SELECT ratchet.create_queue('q_long', '{"lease": "1 hour"}');
SELECT ratchet.register_workflow('wf_short', '{"queue": "q_short"}');
SELECT ratchet.register_workflow('wf_long', '{"queue": "q_long"}');
CREATE TEMP TABLE w AS
SELECT ratchet.register_worker('w1', ARRAY['q_short', 'q_long']) AS id;
SELECT ratchet.start('wf_short');
SELECT ratchet.start('wf_long') FROM generate_series(1, 2);
CREATE TEMP TABLE c AS SELECT * FROM ratchet.claim((SELECT w.id FROM w), 10);
-- One long task is already done; the short one's lease runs out.
SELECT ratchet.complete((SELECT min(c.task) FROM c WHERE c.queue = 'q_long'));
SET LOCAL "ratchet.fake_now" = '2030-01-01 00:01:00+00';

CREATE TEMP TABLE done AS
SELECT m.task
FROM ratchet.complete_many(
    (SELECT array_agg(c.task) || (max(c.task) + 1000) FROM c),
    '[{"i": 1}, {"i": 2}, {"i": 3}, {"i": 4}]'
) AS m (task);

SELECT is(
    (SELECT array_agg(d.task) FROM done AS d),
    (SELECT array_agg(c.task) FROM c WHERE c.queue = 'q_long' AND c.task > (
        SELECT min(c2.task) FROM c AS c2 WHERE c2.queue = 'q_long'
    )),
    'only the one task still held is completed'
);
SELECT isnt(runs.status, 'completed', 'the expired task''s run is not completed')
FROM ratchet.runs INNER JOIN c ON runs.id = c.run
WHERE c.queue = 'q_short';
SELECT lives_ok(
    $$SELECT ratchet.complete_many(ARRAY[-1, -2]::bigint[])$$,
    'only unknown ids: no error'
);
SELECT is_empty(
    $$SELECT * FROM ratchet.complete_many(ARRAY[-1]::bigint[])$$,
    'and nothing returned'
);

SELECT * FROM finish();
ROLLBACK;
