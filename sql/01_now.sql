-- Every engine decision about time reads ratchet.now(), so tests can move
-- the clock with SET ratchet.fake_now = '...' (principle 9).
CREATE FUNCTION ratchet.now()
RETURNS timestamptz
LANGUAGE sql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT coalesce(
        nullif(current_setting('ratchet.fake_now', true), '')::timestamptz,
        clock_timestamp()
    );
$$;

COMMENT ON FUNCTION ratchet.now() IS
'The engine clock: ratchet.fake_now when set, else clock_timestamp().';
