-- deregister_worker of an unknown or already deregistered worker raises RT007.
BEGIN;
SELECT plan(3);

CREATE TEMP TABLE w AS
SELECT ratchet.register_worker('w1', ARRAY['default']) AS id;

SELECT throws_ok(
    $$SELECT ratchet.deregister_worker((SELECT max(w.id) + 1000 FROM w))$$,
    'RT007', NULL, 'unknown worker'
);
SELECT is(
    ratchet.deregister_worker((SELECT w.id FROM w)), 0,
    'an idle worker hands back nothing'
);
SELECT throws_ok(
    $$SELECT ratchet.deregister_worker((SELECT w.id FROM w))$$,
    'RT007', NULL, 'deregistering twice'
);

SELECT * FROM finish();
ROLLBACK;
