-- sleep refuses an infinite wake time or one more than 100 years ahead
-- (RT005), and the task stays held with nothing recorded.
BEGIN;
SELECT plan(4);

SET LOCAL "ratchet.fake_now" = '2030-01-01 00:00:00+00';
SELECT ratchet.create_queue('q');
SELECT ratchet.register_workflow('wf', '{"queue": "q"}');
CREATE TEMP TABLE w AS SELECT ratchet.register_worker('w1', ARRAY['q']) AS id;
SELECT ratchet.start('wf');
CREATE TEMP TABLE c AS SELECT * FROM ratchet.claim((SELECT w.id FROM w));

SELECT throws_ok(
    format('SELECT ratchet.sleep(%s, %L, %L)', (SELECT c.task FROM c), 'nap', 'infinity'),
    'RT005', NULL, 'infinity is refused'
);
SELECT throws_ok(
    format(
        'SELECT ratchet.sleep(%s, %L, %L)', (SELECT c.task FROM c), 'nap', '2131-01-01 00:00:00+00'
    ),
    'RT005', NULL, 'more than 100 years ahead is refused'
);
SELECT is((SELECT count(*)::int FROM ratchet.steps), 0, 'no step was recorded');
SELECT is((SELECT status FROM ratchet.runs), 'running', 'the run is still running');

SELECT * FROM finish();
ROLLBACK;
