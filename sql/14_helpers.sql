-- Small helpers every transition shares.

-- One audit entry; callers write it in the same transaction as the change.
CREATE OR REPLACE FUNCTION ratchet._log(
    run_id bigint, kind text, step text, detail jsonb, at timestamptz
)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
BEGIN
    INSERT INTO ratchet.history (run_id, at, kind, step, detail)
    VALUES (_log.run_id, _log.at, _log.kind, _log.step, _log.detail);
END;
$$;

-- Calls that count other runs' states or lock a set of runs (claim's free
-- slots, fan-in's "last one finished", cancel's tree, reclaim) must see what
-- committed before each statement. Under REPEATABLE READ or SERIALIZABLE
-- they would read an older snapshot: a concurrency limit overrun, a parent
-- that two finishing children both leave asleep, a child that escapes a
-- cancel. Such calls refuse to run there (RT005). READ UNCOMMITTED is READ
-- COMMITTED in PostgreSQL.
CREATE OR REPLACE FUNCTION ratchet._require_read_committed(fn text)
RETURNS void
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
BEGIN
    IF current_setting('transaction_isolation') NOT IN ('read committed', 'read uncommitted') THEN
        PERFORM ratchet._raise(
            'RT005',
            format(
                '%s needs READ COMMITTED isolation, this transaction is %s',
                _require_read_committed.fn, upper(current_setting('transaction_isolation'))
            ),
            'call it in a READ COMMITTED transaction (the default): under a snapshot taken '
            || 'earlier the engine cannot see what other sessions just committed'
        );
    END IF;
END;
$$;

-- NOTIFY is a hint, one channel per queue, and coalesced. PostgreSQL lets
-- only one transaction that queued a NOTIFY commit at a time: it holds a
-- database-wide lock from before its commit record until that record is
-- flushed. A NOTIFY per start() therefore puts concurrent producers in single
-- file (no group commit). So a queue sends at most one wake-up per
-- notify_interval_ms (0: every time), decided through its two queue_signals
-- rows (slots):
-- * read the newest stamp plainly: within the interval, nothing to do (the
--   common case under load: no lock, no write);
-- * else lock slot 0, SKIP LOCKED, stamp it and notify: of the producers
--   that find the queue stale at once, one notifies, the others rely on it;
-- * slot 0 locked and nothing stamped for two intervals: its holder is not
--   just committing but a long open transaction (its NOTIFY goes out only at
--   its commit), so take slot 1 the same way, to keep the queue announced;
-- * both slots locked: both holders notify when they commit, nothing to do.
-- No producer ever waits, and at most two notifiers of a queue are in
-- flight, whatever the load (a fallback that notified more while commits
-- were slow would feed on itself: NOTIFY is what makes them slow). A holder
-- that rolls back takes its stamp with it: the next producer notifies. A
-- REPEATABLE READ or SERIALIZABLE producer only reads. The payload is the
-- interval in ms: the window in which runs may become ready without a
-- notification of their own, so a woken worker claims once more at its end
-- (python_client/pgratchet/worker.py).
CREATE OR REPLACE FUNCTION ratchet._wake(queue text)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    v_ms integer;
    v_interval interval;
    v_now timestamptz;
    v_last timestamptz;
    v_slot smallint;
BEGIN
    IF NOT EXISTS (
        SELECT 1 FROM ratchet.queues AS q
        WHERE q.name = _wake.queue AND q.notify AND NOT q.paused
    ) THEN
        RETURN;
    END IF;
    -- Every start() runs this: the common case (a recent stamp) is decided by
    -- one statement (the setting read inline, not through ratchet._setting,
    -- and the clock without calling ratchet.now() unless it is faked).
    SELECT
        coalesce(
            (
                SELECT (st.value #>> '{}')::integer FROM ratchet.settings AS st
                WHERE st.name = 'notify_interval_ms'
            ),
            (ratchet._setting_default('notify_interval_ms') #>> '{}')::integer
        ),
        CASE
            WHEN coalesce(current_setting('ratchet.fake_now', true), '') = ''
                THEN clock_timestamp()
            ELSE ratchet.now()
        END,
        (SELECT max(s.notified_at) FROM ratchet.queue_signals AS s WHERE s.queue = _wake.queue)
    INTO v_ms, v_now, v_last;
    v_interval := v_ms * interval '1 millisecond';
    -- Recent on either side of now: a clock that went back (the fake clock in
    -- tests) must not silence a queue.
    IF v_last > v_now - v_interval AND v_last < v_now + v_interval THEN
        RETURN;
    END IF;
    -- Interval 0, or no slots (deleted by hand; create_queue restores them):
    -- notify uncoalesced. Under REPEATABLE READ or SERIALIZABLE, locking a row
    -- stamped since the snapshot would raise 40001: such a producer only reads.
    IF
        v_ms > 0
        AND v_last IS NOT NULL
        AND current_setting('transaction_isolation') IN ('read committed', 'read uncommitted')
    THEN
        -- Slot 1 only when nothing was stamped for two intervals.
        SELECT s.slot INTO v_slot
        FROM ratchet.queue_signals AS s
        WHERE
            s.queue = _wake.queue
            AND (
                s.slot = 0
                OR NOT (v_last > v_now - 2 * v_interval AND v_last < v_now + v_interval)
            )
        ORDER BY s.slot
        LIMIT 1
        FOR UPDATE SKIP LOCKED;
        IF NOT FOUND THEN
            RETURN;
        END IF;
        UPDATE ratchet.queue_signals AS s SET notified_at = v_now
        WHERE s.queue = _wake.queue AND s.slot = v_slot;
    END IF;
    PERFORM pg_notify('ratchet_' || _wake.queue, v_ms::text);
END;
$$;

-- Transitions on an async queue commit without waiting for the WAL flush.
CREATE OR REPLACE FUNCTION ratchet._durability(queue text)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
BEGIN
    IF EXISTS (
        SELECT 1 FROM ratchet.queues AS q
        WHERE q.name = _durability.queue AND q.durability = 'async'
    ) THEN
        PERFORM set_config('synchronous_commit', 'off', true);
    END IF;
END;
$$;

-- Makes a run claimable at due_at: its row in the claim table. Every path
-- back to ready work (hand-back, retry, resume, sleep) goes through here.
CREATE OR REPLACE FUNCTION ratchet._pend(run_id bigint, due_at timestamptz)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
BEGIN
    INSERT INTO ratchet.pending (run_id, queue, workflow, priority, due_at)
    SELECT r.id, r.queue, r.workflow, r.priority, _pend.due_at
    FROM ratchet.runs AS r
    WHERE r.id = _pend.run_id;
END;
$$;

-- The queue's policy with every option at its default.
CREATE OR REPLACE FUNCTION ratchet._queue_defaults(name text, at timestamptz)
RETURNS ratchet.queues
LANGUAGE sql
IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT ROW(
        _queue_defaults.name, null, interval '30 seconds', 5,
        interval '1 second', 2, interval '10 minutes', 0.2,
        'sync', true, false, interval '7 days',
        _queue_defaults.at, _queue_defaults.at, null
    )::ratchet.queues;
$$;

-- Retry delay for the n-th failure: initial * factor^(n-1), capped at max,
-- then spread by +/- jitter. The cap is applied in float seconds, comparing
-- logarithms, before an interval is built: factor^(n-1) grows past what an
-- interval (or a double) can hold long before n reaches a queue's attempt
-- limit, and an overflow here would stop every tick() (defect D1).
CREATE OR REPLACE FUNCTION ratchet._backoff(q ratchet.queues, failures integer)
RETURNS interval
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    v_initial double precision := extract(epoch FROM _backoff.q.backoff_initial);
    v_max double precision := extract(epoch FROM _backoff.q.backoff_max);
    v_steps integer := greatest(coalesce(_backoff.failures, 1) - 1, 0);
    v_secs double precision;
BEGIN
    IF v_initial <= 0 OR v_max <= 0 THEN
        v_secs := least(greatest(v_initial, 0), greatest(v_max, 0));
    ELSIF _backoff.q.backoff_factor <= 1 OR v_steps = 0 THEN
        v_secs := least(v_initial, v_max);
    ELSIF v_steps * ln(_backoff.q.backoff_factor) >= ln(v_max / v_initial) THEN
        v_secs := v_max;
    ELSE
        v_secs := v_initial * power(_backoff.q.backoff_factor, v_steps);
    END IF;
    v_secs := v_secs * (1 + _backoff.q.backoff_jitter * (2 * random() - 1));
    RETURN make_interval(secs => greatest(v_secs, 0));
END;
$$;
