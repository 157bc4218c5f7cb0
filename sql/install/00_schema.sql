-- The ratchet schema holds every object of the engine. The extension script
-- creates it, so DROP EXTENSION removes it with everything inside.
CREATE SCHEMA ratchet;

COMMENT ON SCHEMA ratchet IS
'pgratchet: a durable workflow engine inside PostgreSQL';
