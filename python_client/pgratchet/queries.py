"""Every SQL statement the client sends, by name.

The client never builds engine SQL: it calls the functions of the public contract
(schema ``ratchet``) with bound parameters. Keeping all statements here lets a reader
audit the whole client/engine surface in one file, and lets another language's client
copy it.
"""

from __future__ import annotations

from psycopg import sql

# --- definitions -------------------------------------------------------------------------
CREATE_QUEUE = "select ratchet.create_queue(%s, %s)"
REGISTER_WORKFLOW = "select ratchet.register_workflow(%s, %s)"
QUEUE_NAMES = "select queue from ratchet.queue_stats order by queue"
QUEUE_STATS = "select * from ratchet.queue_stats order by queue"

# --- clients -----------------------------------------------------------------------------
START = "select ratchet.start(%s, %s, %s)"
START_MANY = "select id from ratchet.start_many(%s, %s, %s) as id"
SIGNAL = "select ratchet.signal(%s, %s, %s)"
CANCEL = "select ratchet.cancel(%s, %s)"
RETRY = "select ratchet.retry(%s)"
RUN_HISTORY = "select seq, at, kind, step, detail from ratchet.run_history(%s) order by seq"
RUN_STATUS = "select status, output, error from ratchet.runs where id = %s"
RUN_INFO = "select * from ratchet.runs where id = %s"
# Optional filters are bound as NULL when not given: one fixed statement, no string building.
LIST_RUNS = """
select id, workflow, version, queue, status, attempt, priority, parent,
       created_at, started_at, finished_at
  from ratchet.runs
 where (%(status)s::text is null or status = %(status)s)
   and (%(workflow)s::text is null or workflow = %(workflow)s)
   and (%(queue)s::text is null or queue = %(queue)s)
 order by id desc
 limit %(limit)s
"""
CHILD_RUNS = """
select id, workflow, status, attempt, created_at, finished_at
  from ratchet.runs
 where parent = %s
 order by id
"""
NOW = "select ratchet.now()"

# --- workers -----------------------------------------------------------------------------
REGISTER_WORKER = "select ratchet.register_worker(%s, %s, %s)"
HEARTBEAT = "select ratchet.heartbeat(%s)"
DEREGISTER_WORKER = "select ratchet.deregister_worker(%s)"
# ratchet.now() alongside the claim lets the worker size heartbeats from the lease length
# without trusting its own clock.
CLAIM = "select c.*, ratchet.now() as claimed_at from ratchet.claim(%s, %s) as c"
CHECKPOINT = "select ratchet.checkpoint(%s, %s, %s)"
COMPLETE = "select ratchet.complete(%s, %s)"
COMPLETE_MANY = "select id from ratchet.complete_many(%s, %s) as id"
FAIL = "select ratchet.fail(%s, %s, %s, %s, %s)"
SLEEP_UNTIL = "select ratchet.sleep(%s, %s, %s::timestamptz)"
SLEEP_FOR = "select ratchet.sleep(%s, %s, ratchet.now() + %s::interval)"
AWAIT_EVENT = "select ratchet.await_event(%s, %s, %s, %s::interval)"
START_CHILD = "select ratchet.start_child(%s, %s, %s, %s, %s)"
AWAIT_RUNS = "select ratchet.await_runs(%s, %s, %s::bigint[])"

# --- operations --------------------------------------------------------------------------
TICK = "select ratchet.tick()"

# --- installation ------------------------------------------------------------------------
SCHEMA_EXISTS = "select exists (select 1 from pg_namespace where nspname = 'ratchet')"
EXTENSION_AVAILABLE = (
    "select exists (select 1 from pg_available_extensions where name = 'pgratchet')"
)
EXTENSION_INSTALLED = "select extversion from pg_extension where extname = 'pgratchet'"
CREATE_EXTENSION = "create extension if not exists pgratchet"
UPDATE_EXTENSION = "alter extension pgratchet update"
# One plain upgrade at a time per database (the key is arbitrary but fixed).
UPGRADE_LOCK = "select pg_advisory_xact_lock(hashtext('pgratchet upgrade'))"
HAS_VERSION_FUNCTION = "select to_regprocedure('ratchet.version()') is not null"
SCHEMA_VERSION = "select ratchet.version()"


def listen(channel: str) -> sql.Composed:
    """``LISTEN`` on a queue channel; the name is quoted as an identifier, never spliced."""
    return sql.SQL("listen {}").format(sql.Identifier(channel))


def channel_for(queue: str) -> str:
    """The NOTIFY channel of a queue (contract: ``ratchet_<queue>``)."""
    return f"ratchet_{queue}"
