-- D4: only admins move the engine clock; anyone else who sets
-- ratchet.fake_now gets the real clock. An admin can switch it off entirely.
BEGIN;
SELECT plan(4);

CREATE ROLE t_app;
GRANT ratchet_producer TO t_app;
CREATE ROLE t_admin;
GRANT ratchet_admin TO t_admin;
SET LOCAL "ratchet.fake_now" = '2100-01-01 00:00:00+00';

SET LOCAL ROLE t_app;
SELECT ok(ratchet.now() < '2100-01-01', 'a producer gets the real clock');
SET LOCAL ROLE t_admin;
SELECT is(ratchet.now(), '2100-01-01 00:00:00+00', 'an admin gets the fake clock');
RESET ROLE;
SELECT is(ratchet.now(), '2100-01-01 00:00:00+00', 'so does a superuser');
SELECT ratchet.configure('fake_clock', 'false');
SELECT ok(ratchet.now() < '2100-01-01', 'with fake_clock off nobody moves the clock');

SELECT * FROM finish();
ROLLBACK;
