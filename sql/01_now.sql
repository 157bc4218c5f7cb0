-- Every engine decision about time reads ratchet.now(), so tests can move
-- the clock with SET ratchet.fake_now = '...' (principle 9). The fake clock
-- is honoured only for superusers, the engine's owner and members of
-- ratchet_admin, and only while the setting fake_clock is true: any other
-- session that sets it gets the real clock (defect D4), so it cannot reclaim
-- live leases, purge fresh runs or push retries into the future for others.
CREATE OR REPLACE FUNCTION ratchet.now()
RETURNS timestamptz
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_fake text := current_setting('ratchet.fake_now', true);
BEGIN
    IF v_fake IS NULL OR v_fake = '' THEN
        RETURN clock_timestamp();
    END IF;
    IF NOT (ratchet._setting('fake_clock') = 'true'::jsonb AND ratchet._is_admin(ratchet._caller())) THEN
        RETURN clock_timestamp();
    END IF;
    BEGIN
        RETURN v_fake::timestamptz;
    EXCEPTION WHEN invalid_datetime_format OR datetime_field_overflow THEN
        PERFORM ratchet._raise(
            'RT005', format('ratchet.fake_now %L is not a timestamp', v_fake),
            'SET ratchet.fake_now to an ISO 8601 timestamp, or RESET it'
        );
    END;
    RETURN null;
END;
$$;

COMMENT ON FUNCTION ratchet.now() IS
'The engine clock: ratchet.fake_now for admins when allowed, else clock_timestamp().';
