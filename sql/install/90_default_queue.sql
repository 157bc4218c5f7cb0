-- A queue named default exists after install.
SELECT ratchet.create_queue('default');
