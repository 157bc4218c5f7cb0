-- heartbeat of an unknown or deregistered worker raises RT007.
BEGIN;
SELECT plan(2);

CREATE TEMP TABLE w AS
SELECT ratchet.register_worker('w1', ARRAY['default']) AS id;

SELECT throws_ok(
    $$SELECT ratchet.heartbeat((SELECT max(w.id) + 1000 FROM w))$$,
    'RT007', NULL, 'unknown worker'
);
SELECT ratchet.deregister_worker((SELECT w.id FROM w));
SELECT throws_ok(
    $$SELECT ratchet.heartbeat((SELECT w.id FROM w))$$,
    'RT007', NULL, 'deregistered worker'
);

SELECT * FROM finish();
ROLLBACK;
