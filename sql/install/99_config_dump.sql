-- Runtime tables belong in pg_dump output (extension script only). The
-- default queue is created by CREATE EXTENSION itself, so a restore must not
-- insert it again.
SELECT pg_catalog.pg_extension_config_dump('ratchet.queues', $$WHERE name <> 'default'$$);
SELECT pg_catalog.pg_extension_config_dump('ratchet.workflows', '');
SELECT pg_catalog.pg_extension_config_dump('ratchet.workers', '');
SELECT pg_catalog.pg_extension_config_dump('ratchet.runs', '');
SELECT pg_catalog.pg_extension_config_dump('ratchet.pending', '');
SELECT pg_catalog.pg_extension_config_dump('ratchet.tasks', '');
SELECT pg_catalog.pg_extension_config_dump('ratchet.fenced_tasks', '');
SELECT pg_catalog.pg_extension_config_dump('ratchet.history', '');
SELECT pg_catalog.pg_extension_config_dump('ratchet.steps', '');
SELECT pg_catalog.pg_extension_config_dump('ratchet.events', '');
-- The partitions of slice 0 (made by CREATE EXTENSION) carry its rows; the
-- partitioned parents hold none. Later slices, made by tick, are not members
-- of the extension, so pg_dump dumps them whole (definition and rows).
SELECT pg_catalog.pg_extension_config_dump('ratchet.runs_s0', '');
SELECT pg_catalog.pg_extension_config_dump('ratchet.history_s0', '');
SELECT pg_catalog.pg_extension_config_dump('ratchet.steps_s0', '');
SELECT pg_catalog.pg_extension_config_dump('ratchet.events_s0', '');
-- CREATE EXTENSION makes slice 0's row, so a restore must not insert it again.
SELECT pg_catalog.pg_extension_config_dump('ratchet.slices', 'WHERE slice <> 0');
SELECT pg_catalog.pg_extension_config_dump('ratchet.run_waits', '');
SELECT pg_catalog.pg_extension_config_dump('ratchet.waits', '');
SELECT pg_catalog.pg_extension_config_dump('ratchet.deadlines', '');
SELECT pg_catalog.pg_extension_config_dump('ratchet.task_ids', '');
SELECT pg_catalog.pg_extension_config_dump('ratchet.workers_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('ratchet.runs_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('ratchet.history_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('ratchet.steps_seq_seq', '');
SELECT pg_catalog.pg_extension_config_dump('ratchet.events_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('ratchet.settings', '');
SELECT pg_catalog.pg_extension_config_dump('ratchet.queue_grants', '');
-- The default queue's rows come with the default queue (see queues above).
SELECT pg_catalog.pg_extension_config_dump('ratchet.queue_signals', $$WHERE queue <> 'default'$$);
