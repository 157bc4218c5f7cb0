-- claim orders by priority, then due time, then id.
BEGIN;
SELECT plan(1);

SET LOCAL "ratchet.fake_now" = '2030-01-01 00:00:00+00';
SELECT ratchet.create_queue('q');
SELECT ratchet.register_workflow('wf', '{"queue": "q"}');
CREATE TEMP TABLE w AS SELECT ratchet.register_worker('w1', ARRAY['q']) AS id;
CREATE TEMP TABLE r (name text, id bigint);

-- Created first, but due last of the priority-0 runs (00:05).
INSERT INTO r VALUES ('late', ratchet.start('wf', '{}', '{"delay": 5}'));
SET LOCAL "ratchet.fake_now" = '2030-01-01 00:00:01+00';
INSERT INTO r VALUES ('early', ratchet.start('wf'));
-- Four runs due at 00:02: two ties on priority 0, one urgent, one lazy.
SET LOCAL "ratchet.fake_now" = '2030-01-01 00:00:02+00';
INSERT INTO r VALUES ('tie_a', ratchet.start('wf'));
INSERT INTO r VALUES ('tie_b', ratchet.start('wf'));
INSERT INTO r VALUES ('urgent', ratchet.start('wf', '{}', '{"priority": -1}'));
INSERT INTO r VALUES ('lazy', ratchet.start('wf', '{}', '{"priority": 1}'));

-- Claims one at a time and lists the runs by name in claim order.
CREATE FUNCTION pg_temp.claim_order(p_worker bigint)
RETURNS text[]
LANGUAGE plpgsql
AS $$
DECLARE
    names text[] := '{}';
    c record;
BEGIN
    LOOP
        SELECT * INTO c FROM ratchet.claim(p_worker, 1);
        EXIT WHEN c.task IS NULL;
        names := names || (SELECT r.name FROM r WHERE r.id = c.run);
    END LOOP;
    RETURN names;
END;
$$;

SET LOCAL "ratchet.fake_now" = '2030-01-01 00:01:00+00';
SELECT is(
    pg_temp.claim_order((SELECT w.id FROM w)),
    ARRAY['urgent', 'early', 'tie_a', 'tie_b', 'late', 'lazy'],
    'priority first, then due time, then id'
);

SELECT * FROM finish();
ROLLBACK;
