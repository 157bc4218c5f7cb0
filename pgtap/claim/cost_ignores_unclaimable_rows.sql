-- A claim reads a few index pages, not the rows it cannot claim now: 20,000
-- runs not yet due at a better priority, or 20,000 due runs of workflows the
-- worker does not take (issue 7, D13). Counted in buffer reads of the claim
-- table and its indexes, so the test does not depend on timing.
BEGIN;
SELECT plan(4);

SET LOCAL "ratchet.fake_now" = '2030-01-01 00:00:00+00';
SELECT ratchet.create_queue('later');
SELECT ratchet.create_queue('mixed');
SELECT ratchet.register_workflow('wf', '{"queue": "later"}');
SELECT ratchet.register_workflow('other', '{"queue": "mixed"}');
SELECT ratchet.register_workflow('mine', '{"queue": "mixed"}');
SELECT count(*) FROM ratchet.start_many(
    'wf', (SELECT jsonb_agg('{}'::jsonb) FROM generate_series(1, 20000)),
    '{"priority": -1, "delay": 86400}'
);
SELECT count(*) FROM ratchet.start_many(
    'other', (SELECT jsonb_agg('{}'::jsonb) FROM generate_series(1, 20000))
);
SET LOCAL "ratchet.fake_now" = '2030-01-01 00:00:01+00';
CREATE TEMP TABLE r AS
SELECT
    ratchet.start('wf') AS due,
    ratchet.start('mine') AS mine;
CREATE TEMP TABLE w AS
SELECT
    ratchet.register_worker('any', ARRAY['later']) AS any_wf,
    ratchet.register_worker('only_mine', ARRAY['mixed'], ARRAY['mine']) AS only_mine;
ANALYZE ratchet.pending;

-- Buffer reads (hits included) of ratchet.pending and its indexes so far in
-- this transaction.
CREATE FUNCTION pg_temp.pending_reads()
RETURNS bigint
LANGUAGE sql
AS $$
    SELECT sum(pg_stat_get_xact_blocks_fetched(c.oid))::bigint
    FROM pg_class AS c
    WHERE
        c.oid = 'ratchet.pending'::regclass
        OR c.oid IN (
            SELECT i.indexrelid FROM pg_index AS i
            WHERE i.indrelid = 'ratchet.pending'::regclass
        );
$$;

SET LOCAL "ratchet.fake_now" = '2030-01-01 00:01:00+00';
CREATE TEMP TABLE m AS SELECT pg_temp.pending_reads() AS at_start;
CREATE TEMP TABLE c AS SELECT * FROM ratchet.claim((SELECT w.any_wf FROM w), 1);
SELECT is((SELECT c.run FROM c), (SELECT r.due FROM r), 'the due run is claimed');
SELECT cmp_ok(
    pg_temp.pending_reads() - (SELECT m.at_start FROM m), '<', 40::bigint,
    'past 20,000 runs not yet due at a better priority in a few page reads'
);

UPDATE m SET at_start = pg_temp.pending_reads();
TRUNCATE c;
INSERT INTO c SELECT * FROM ratchet.claim((SELECT w.only_mine FROM w), 1);
SELECT is((SELECT c.run FROM c), (SELECT r.mine FROM r), 'the run of its workflow is claimed');
SELECT cmp_ok(
    pg_temp.pending_reads() - (SELECT m.at_start FROM m), '<', 40::bigint,
    'past 20,000 due runs of another workflow in a few page reads'
);

SELECT * FROM finish();
ROLLBACK;
