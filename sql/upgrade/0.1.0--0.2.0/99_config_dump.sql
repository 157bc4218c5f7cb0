-- Tables added in 0.2.0 keep their rows in pg_dump, like the others.
SELECT pg_catalog.pg_extension_config_dump('ratchet.settings', '');
SELECT pg_catalog.pg_extension_config_dump('ratchet.queue_grants', '');
SELECT pg_catalog.pg_extension_config_dump('ratchet.waits', '');
SELECT pg_catalog.pg_extension_config_dump('ratchet.queue_signals', $$WHERE queue <> 'default'$$);
