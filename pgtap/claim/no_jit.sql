-- Claim runs without JIT. Its statements use generic plans, which cannot see
-- their LIMITs: behind a deep pending table (200,000 runs delayed at a better
-- priority) their estimated cost passed jit_above_cost, and every claim spent
-- ~15 ms compiling per priority level visited (bench W7, case c: p50 31 ms
-- against 1.3 ms). Checked on the function's settings, not on timing.
BEGIN;
SELECT plan(2);

SELECT ok(
    (
        SELECT p.proconfig @> ARRAY['jit=off']
        FROM pg_catalog.pg_proc AS p
        WHERE p.oid = 'ratchet.claim(bigint, integer)'::regprocedure
    ),
    'claim turns JIT off for its own statements'
);

-- The setting is the function's alone: the caller's jit is left as it was.
SET LOCAL jit = on;
SELECT ratchet.create_queue('q');
SELECT ratchet.register_workflow('wf', '{"queue": "q"}');
SELECT ratchet.start('wf');
CREATE TEMP TABLE c AS
SELECT * FROM ratchet.claim(ratchet.register_worker('w', ARRAY['q']), 1);
SELECT is(current_setting('jit'), 'on', 'the caller''s jit setting is unchanged after a claim');

SELECT * FROM finish();
ROLLBACK;
