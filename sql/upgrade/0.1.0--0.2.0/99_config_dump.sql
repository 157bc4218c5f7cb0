-- Tables added in 0.2.0 keep their rows in pg_dump, like the others.
SELECT pg_catalog.pg_extension_config_dump('ratchet.settings', '');
SELECT pg_catalog.pg_extension_config_dump('ratchet.queue_grants', '');
-- Slices (11_slices.sql): the partitioned parents and their identity
-- sequences are new objects (the 0.1.0 tables, now slice 0's partitions,
-- stay registered), and so is the table of slices.
SELECT pg_catalog.pg_extension_config_dump('ratchet.runs', '');
SELECT pg_catalog.pg_extension_config_dump('ratchet.history', '');
SELECT pg_catalog.pg_extension_config_dump('ratchet.steps', '');
SELECT pg_catalog.pg_extension_config_dump('ratchet.events', '');
SELECT pg_catalog.pg_extension_config_dump('ratchet.runs_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('ratchet.history_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('ratchet.steps_seq_seq', '');
SELECT pg_catalog.pg_extension_config_dump('ratchet.events_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('ratchet.slices', 'WHERE slice <> 0');
SELECT pg_catalog.pg_extension_config_dump('ratchet.waits', '');
SELECT pg_catalog.pg_extension_config_dump('ratchet.deadlines', '');
SELECT pg_catalog.pg_extension_config_dump('ratchet.queue_signals', $$WHERE queue <> 'default'$$);
