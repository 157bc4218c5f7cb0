-- Calls that decide from other runs' states (fan-in, cancel's tree, reclaim,
-- concurrency limits) refuse REPEATABLE READ with RT005 before doing
-- anything: an old snapshot could leave a parent asleep forever or let a
-- child escape a cancel.
BEGIN;
SET LOCAL transaction_isolation = 'repeatable read';
SELECT plan(10);

SELECT ratchet.register_workflow('wf');
CREATE TEMP TABLE r AS SELECT ratchet.start('wf') AS id;
CREATE TEMP TABLE w AS SELECT ratchet.register_worker('w1', ARRAY['default']) AS id;

SELECT throws_ok(
    'SELECT ratchet.complete(424242)', 'RT005',
    'a task call needs READ COMMITTED isolation, this transaction is REPEATABLE READ',
    'complete'
);
SELECT throws_ok($$SELECT ratchet.checkpoint(424242, 's', '1')$$, 'RT005', NULL, 'checkpoint');
SELECT throws_ok($$SELECT ratchet.fail(424242, '{}')$$, 'RT005', NULL, 'fail');
SELECT throws_ok('SELECT ratchet.complete_many(ARRAY[424242])', 'RT005', NULL, 'complete_many');
SELECT throws_ok(
    format('SELECT ratchet.cancel(%s)', (SELECT r.id FROM r)), 'RT005', NULL, 'cancel'
);
SELECT throws_ok(
    format('SELECT ratchet.signal(%s, %L)', (SELECT r.id FROM r), 'go'), 'RT005', NULL, 'signal'
);
SELECT throws_ok(
    format('SELECT ratchet.retry(%s)', (SELECT r.id FROM r)), 'RT005', NULL, 'retry'
);
SELECT throws_ok('SELECT ratchet.tick()', 'RT005', NULL, 'tick');
SELECT throws_ok(
    format('SELECT ratchet.deregister_worker(%s)', (SELECT w.id FROM w)), 'RT005', NULL,
    'deregister_worker'
);
SELECT results_eq(
    $$SELECT status FROM ratchet.runs$$, $$VALUES ('queued'::text)$$,
    'nothing changed: the run is still queued'
);

SELECT * FROM finish();
ROLLBACK;
