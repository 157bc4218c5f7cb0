-- ratchet.queue_stats carries the columns clients rely on.
BEGIN;
SELECT plan(11);

SELECT has_column('ratchet', 'queue_stats', 'queue', 'queue_stats.queue');
SELECT has_column('ratchet', 'queue_stats', 'paused', 'queue_stats.paused');
SELECT has_column(
    'ratchet', 'queue_stats', 'concurrency', 'queue_stats.concurrency'
);
SELECT has_column('ratchet', 'queue_stats', 'queued', 'queue_stats.queued');
SELECT has_column('ratchet', 'queue_stats', 'running', 'queue_stats.running');
SELECT has_column('ratchet', 'queue_stats', 'sleeping', 'queue_stats.sleeping');
SELECT has_column('ratchet', 'queue_stats', 'waiting', 'queue_stats.waiting');
SELECT has_column(
    'ratchet', 'queue_stats', 'completed', 'queue_stats.completed'
);
SELECT has_column('ratchet', 'queue_stats', 'failed', 'queue_stats.failed');
SELECT has_column(
    'ratchet', 'queue_stats', 'cancelled', 'queue_stats.cancelled'
);
SELECT has_column(
    'ratchet', 'queue_stats', 'oldest_queued_age',
    'queue_stats.oldest_queued_age'
);

SELECT * FROM finish();
ROLLBACK;
