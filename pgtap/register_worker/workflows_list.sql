-- register_worker refuses an empty workflows list (D15: such a worker could
-- never claim) and null elements; null means every workflow; duplicates fold.
BEGIN;
SELECT plan(6);

SELECT ratchet.create_queue('q');
SELECT ratchet.register_workflow('wf', '{"queue": "q"}');

SELECT throws_ok(
    $$SELECT ratchet.register_worker('w1', ARRAY['q'], '{}')$$,
    'RT005', 'workflows must be null (any workflow) or a list of workflow names without nulls',
    'an empty workflows list'
);
SELECT throws_ok(
    $$SELECT ratchet.register_worker('w1', ARRAY['q'], ARRAY['wf', null])$$,
    'RT005', NULL,
    'a null workflow'
);
SELECT throws_ok(
    $$SELECT ratchet.register_worker('w1', ARRAY['q', null])$$,
    'RT005', 'a worker needs at least one queue, and no null in its queues',
    'a null queue'
);
SELECT is((SELECT count(*) FROM ratchet.workers), 0::bigint, 'nothing was written');

CREATE TEMP TABLE w AS
SELECT
    ratchet.register_worker('w1', ARRAY['q'], ARRAY['wf', 'wf']) AS twice,
    ratchet.register_worker('w2', ARRAY['q']) AS every;
SELECT is(
    (SELECT workflows FROM ratchet.workers WHERE id = (SELECT w.twice FROM w)), ARRAY['wf'],
    'duplicate workflows fold'
);
SELECT is(
    (SELECT workflows FROM ratchet.workers WHERE id = (SELECT w.every FROM w)), NULL::text[],
    'null means every workflow'
);

SELECT * FROM finish();
ROLLBACK;
