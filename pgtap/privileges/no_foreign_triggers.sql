-- D17: even a role that was (wrongly) granted TRIGGER on an engine table
-- cannot put a trigger on it, since the trigger would run as the owner.
BEGIN;
SELECT plan(2);

CREATE ROLE t_mallory;
GRANT USAGE ON SCHEMA ratchet TO t_mallory;
GRANT ALL ON ALL TABLES IN SCHEMA ratchet TO t_mallory;
CREATE FUNCTION public.t_escalate()
RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    RETURN null;
END;
$$;

SET LOCAL ROLE t_mallory;
SELECT throws_ok(
    $$CREATE TRIGGER t_evil AFTER INSERT ON ratchet.history
      FOR EACH ROW EXECUTE FUNCTION public.t_escalate()$$,
    '42501', NULL, 'a non-owner cannot create a trigger on ratchet.history'
);
RESET ROLE;
SELECT lives_ok(
    $$CREATE TRIGGER t_ok AFTER INSERT ON ratchet.history
      FOR EACH ROW EXECUTE FUNCTION public.t_escalate()$$,
    'a superuser still can'
);

SELECT * FROM finish();
ROLLBACK;
