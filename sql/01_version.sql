-- The engine version this schema was installed or upgraded to. The build
-- writes the default_version of pgratchet.control in place of the marker, so
-- the extension and the plain script report the same version, and
-- `pgratchet upgrade` knows which upgrade scripts a plain install needs.
CREATE OR REPLACE FUNCTION ratchet.version()
RETURNS text
LANGUAGE sql
IMMUTABLE
PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
RETURN '@PGRATCHET_VERSION@';

COMMENT ON FUNCTION ratchet.version() IS
'The pgratchet version of this schema, e.g. 0.2.0.';
