-- ratchet.runs shows every run with at least the documented columns.
BEGIN;
SELECT plan(15);

SELECT has_column('ratchet', 'runs', 'id', 'runs.id');
SELECT has_column('ratchet', 'runs', 'workflow', 'runs.workflow');
SELECT has_column('ratchet', 'runs', 'version', 'runs.version');
SELECT has_column('ratchet', 'runs', 'queue', 'runs.queue');
SELECT has_column('ratchet', 'runs', 'status', 'runs.status');
SELECT has_column('ratchet', 'runs', 'input', 'runs.input');
SELECT has_column('ratchet', 'runs', 'output', 'runs.output');
SELECT has_column('ratchet', 'runs', 'error', 'runs.error');
SELECT has_column('ratchet', 'runs', 'attempt', 'runs.attempt');
SELECT has_column('ratchet', 'runs', 'priority', 'runs.priority');
SELECT has_column('ratchet', 'runs', 'parent', 'runs.parent');
SELECT has_column('ratchet', 'runs', 'tags', 'runs.tags');
SELECT has_column('ratchet', 'runs', 'created_at', 'runs.created_at');
SELECT has_column('ratchet', 'runs', 'started_at', 'runs.started_at');
SELECT has_column('ratchet', 'runs', 'finished_at', 'runs.finished_at');

SELECT * FROM finish();
ROLLBACK;
