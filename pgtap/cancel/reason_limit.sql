-- Defect D15: a cancel reason is at most 2000 characters; a longer one
-- raises RT005 and cancels nothing.
BEGIN;
SELECT plan(3);

SELECT ratchet.register_workflow('wf');
CREATE TEMP TABLE r AS
SELECT
    ratchet.start('wf') AS id,
    ratchet.start('wf') AS other;

SELECT throws_ok(
    format('SELECT ratchet.cancel(%s, %L)', (SELECT r.id FROM r), repeat('x', 2001)),
    'RT005', NULL, 'a 2001-character reason is refused'
);
SELECT is(
    (SELECT runs.status FROM ratchet.runs INNER JOIN r ON runs.id = r.id), 'queued',
    'and the run is not cancelled'
);
SELECT is(
    ratchet.cancel((SELECT r.other FROM r), repeat('x', 2000)), TRUE,
    'a 2000-character reason is accepted'
);

SELECT * FROM finish();
ROLLBACK;
