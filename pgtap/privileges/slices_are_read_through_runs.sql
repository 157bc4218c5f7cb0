-- The partitions of a slice skip the row policy of ratchet.runs, so only
-- admins (and the owner) read them; a reader sees its runs through the parent,
-- also once tick has opened a new slice.
BEGIN;
SELECT plan(4);

CREATE ROLE t_reader;
GRANT ratchet_reader TO t_reader;
SET LOCAL "ratchet.fake_now" = '2031-01-01 00:00:00+00';
SELECT ratchet.create_queue('mine');
SELECT ratchet.create_queue('theirs');
SELECT ratchet.register_workflow('wf_mine', '{"queue": "mine"}');
SELECT ratchet.register_workflow('wf_theirs', '{"queue": "theirs"}');
SELECT ratchet.grant_queue('mine', 't_reader', '{read}');
SELECT ratchet.start('wf_theirs');
SELECT ratchet.tick();
SELECT ratchet.start('wf_mine');
CREATE TEMP TABLE s AS
SELECT
    'ratchet.runs_s' || max(x.slice) AS runs,
    'ratchet.history_s' || min(x.slice) AS history
FROM ratchet.slices AS x;
GRANT SELECT ON s TO t_reader;

SET LOCAL ROLE t_reader;
SELECT is(
    (SELECT array_agg(DISTINCT runs.queue) FROM ratchet.runs),
    ARRAY['mine'], 'the parent shows only the readable queue'
);
SELECT throws_ok(
    format('SELECT count(*) FROM %s', (SELECT s.runs FROM s)), '42501', NULL,
    'a slice opened by tick is not readable directly'
);
SELECT throws_ok(
    format('SELECT count(*) FROM %s', (SELECT s.history FROM s)), '42501', NULL,
    'nor is the oldest slice'
);
RESET ROLE;
SELECT ok(
    has_table_privilege('ratchet_admin', (SELECT s.runs FROM s), 'SELECT'),
    'admins read every slice'
);

SELECT * FROM finish();
ROLLBACK;
