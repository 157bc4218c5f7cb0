"""The privilege model with real LOGIN roles (issue 7 section 2, docs/security.md).

Each test makes its own uniquely named roles (roles are cluster-wide) and connects as them
over the cluster's trust-authenticated socket. Happy paths go through the Python client;
every refusal is checked to raise SQLSTATE 42501 and to change no engine table, by comparing
checksums of every table in schema ``ratchet`` (read as the superuser) before and after.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest
from psycopg.conninfo import make_conninfo

import pgratchet
from pgratchet.embedded import Cluster
from tests.conftest import create_database, drop_database
from tests.support import query, run_worker_until_idle, scalar, with_options

# Two tenants: each role gets rights on one of them, the other must stay out of reach.
MINE = "tenant_mine"
THEIRS = "tenant_theirs"

# A trigger function in the role's own temporary schema, and a trigger on an engine table.
TRIGGER_FN = (
    "create function pg_temp.f() returns trigger language plpgsql as 'begin return new; end'"
)
CREATE_TRIGGER = (
    "create trigger t after insert on ratchet.history for each row execute function pg_temp.f()"
)


def double(ctx: pgratchet.Context, x: int) -> dict:
    return {"y": 2 * x}


def secret(ctx: pgratchet.Context, code: str) -> dict:
    return {"code": code}


def build_app(dsn: str, *queues: str) -> pgratchet.App:
    """An App with the workflows of the given tenant queues (a client registers all of its
    workflows at start-up, which needs a right on each of their queues)."""
    app = pgratchet.App(dsn, pool_size=4)
    if MINE in queues:
        app.workflow(queue=MINE)(double)
    if THEIRS in queues:
        app.workflow(queue=THEIRS)(secret)
    return app


class Roles:
    """LOGIN roles made for one test; dropped after the test's database is gone."""

    def __init__(self, admin_dsn: str) -> None:
        self.admin_dsn = admin_dsn
        self.tag = uuid.uuid4().hex[:8]
        self.made: list[str] = []

    def make(self, label: str, *groups: str) -> str:
        name = f"rt_{self.tag}_{label}"
        with psycopg.connect(self.admin_dsn, autocommit=True) as conn:
            conn.execute(f'create role "{name}" login')
            self.made.append(name)
            for group in groups:
                conn.execute(f'grant "{group}" to "{name}"')
        return name

    def drop_all(self) -> None:
        with psycopg.connect(self.admin_dsn, autocommit=True) as conn:
            for name in reversed(self.made):
                conn.execute(f'drop role if exists "{name}"')


@pytest.fixture
def roles(cluster: Cluster) -> Iterator[Roles]:
    made = Roles(cluster.dsn)
    yield made
    made.drop_all()


@pytest.fixture
def db(cluster: Cluster, roles: Roles, request: pytest.FixtureRequest) -> Iterator[str]:
    """A fresh database with both tenant queues and workflows, set up by the superuser.

    It depends on ``roles``, so it is dropped first and the roles own nothing when they go.
    """
    dsn = create_database(cluster, request.node.name)
    with build_app(dsn, MINE, THEIRS) as app:
        app.create_queue(MINE)
        app.create_queue(THEIRS)
        app.register()
    yield dsn
    drop_database(cluster, dsn)


def as_role(dsn: str, role: str) -> str:
    return make_conninfo(dsn, user=role)


def sql(dsn: str, statement: str, params: Any = ()) -> Any:
    """The first column of the first row of one autocommit statement."""
    return scalar(dsn, statement, params)


def table_sums(dsn: str) -> dict[str, str]:
    """An md5 of every row of every engine table, read as the superuser (no RLS)."""
    tables = [
        r["name"]
        for r in query(
            dsn,
            "select c.oid::regclass::text as name from pg_class as c"
            " where c.relnamespace = 'ratchet'::regnamespace and c.relkind = 'r' order by 1",
        )
    ]
    return {
        t: sql(
            dsn,
            f"select md5(coalesce(string_agg(x::text, '|' order by x::text), '')) from {t} as x",
        )
        for t in tables
    }


def assert_refused(admin_dsn: str, role_dsn: str, statements: list[str]) -> None:
    """Each statement, run as the role, fails with 42501 and leaves every table as it was."""
    before = table_sums(admin_dsn)
    for statement in statements:
        with pytest.raises(psycopg.Error) as info:
            sql(role_dsn, statement)
        assert info.value.sqlstate == "42501", f"{statement}: {info.value}"
    assert table_sums(admin_dsn) == before, "a refused call changed a table"


def grant(dsn: str, queue: str, role: str, *rights: str) -> None:
    sql(dsn, "select ratchet.grant_queue(%s, %s, %s)", (queue, role, list(rights)))


def claim_one(dsn: str, worker: int) -> dict | None:
    rows = query(dsn, "select task, run, queue, input from ratchet.claim(%s)", (worker,))
    return rows[0] if rows else None


# --- happy paths --------------------------------------------------------------------------
def test_producer_starts_and_a_worker_role_completes(db: str, roles: Roles) -> None:
    producer = roles.make("app", "ratchet_producer")
    worker = roles.make("fleet", "ratchet_worker")
    grant(db, MINE, producer, "produce")
    grant(db, MINE, worker, "work")

    with build_app(as_role(db, producer), MINE) as app:
        handles = [app.start("double", {"x": i}) for i in range(3)]
        with build_app(as_role(db, worker), MINE) as fleet:
            done = run_worker_until_idle(fleet, queues=[MINE])
        assert done.worker_id is not None
        assert [h.result(timeout=10) for h in handles] == [{"y": 0}, {"y": 2}, {"y": 4}]
        assert {r["queue"] for r in app.runs()} == {MINE}
    owners = query(db, "select name, owner::text from ratchet.workers")
    assert [o["owner"] for o in owners] == [worker]


def test_reader_sees_only_its_queues(db: str, roles: Roles) -> None:
    reader = roles.make("dash", "ratchet_reader")
    grant(db, MINE, reader, "read")
    mine = sql(db, "select ratchet.start('double', '{\"x\": 1}')")
    theirs = sql(db, "select ratchet.start('secret', '{\"code\": \"hunter2\"}')")
    reader_dsn = as_role(db, reader)

    with build_app(reader_dsn, MINE) as dash:
        assert [s["queue"] for s in dash.queue_stats()] == [MINE]
        assert [r["id"] for r in dash.runs()] == [mine]
        assert dash.run(mine).status() == "queued"
        with pytest.raises(pgratchet.UnknownRun):
            dash.run(theirs)
    assert sql(reader_dsn, "select count(*) from ratchet.runs where input ? 'code'") == 0
    assert sql(reader_dsn, "select count(*) from ratchet.run_history(%s)", (mine,)) == 1
    assert_refused(
        db,
        reader_dsn,
        [
            f"select * from ratchet.run_history({theirs})",
            "select ratchet.start('double', '{\"x\": 2}')",
            f"select ratchet.cancel({mine})",
            "select * from ratchet.history",
        ],
    )


def test_admin_role_creates_grants_and_configures(db: str, roles: Roles) -> None:
    admin = roles.make("ops", "ratchet_admin")
    producer = roles.make("app", "ratchet_producer")
    admin_dsn = as_role(db, admin)
    assert sql(admin_dsn, "select rolsuper from pg_roles where rolname = current_user") is False

    with build_app(admin_dsn, MINE) as ops:
        ops.create_queue("billing", concurrency=2)
    grant(admin_dsn, "billing", producer, "produce", "read")
    sql(admin_dsn, "select ratchet.register_workflow('charge', '{\"queue\": \"billing\"}')")
    assert sql(admin_dsn, "select ratchet.configure('max_payload_bytes', '2048')") == 2048
    assert query(
        db, "select queue, rights from ratchet.queue_grants where role::text = %s", (producer,)
    ) == [{"queue": "billing", "rights": ["produce", "read"]}]
    run = sql(as_role(db, producer), "select ratchet.start('charge', '{\"n\": 1}')")
    assert sql(admin_dsn, "select queue from ratchet.runs where id = %s", (run,)) == "billing"
    # The setting binds every role, the producer included.
    with pytest.raises(psycopg.Error) as info:
        sql(
            as_role(db, producer),
            "select ratchet.start('charge', %s)",
            (f'{{"pad": "{"x" * 3000}"}}',),
        )
    assert info.value.sqlstate == "RT005"
    assert sql(admin_dsn, "select ratchet.revoke_queue('billing', %s)", (producer,)) is True
    assert sql(db, "select count(*) from ratchet.queue_grants") == 0


def test_clients_re_register_with_any_right_but_changes_need_manage(db: str, roles: Roles) -> None:
    producer = roles.make("app", "ratchet_producer")
    grant(db, MINE, producer, "produce")
    producer_dsn = as_role(db, producer)
    with build_app(producer_dsn, MINE) as app:
        app.register()  # create_queue(q, '{}') and unchanged definitions: allowed
    assert_refused(
        db,
        producer_dsn,
        [
            f"select ratchet.create_queue('{MINE}', '{{\"concurrency\": 1}}')",
            "select ratchet.create_queue('brand_new')",
            "select ratchet.register_workflow('double',"
            f' \'{{"queue": "{MINE}", "version": "2"}}\')',
            f"select ratchet.register_workflow('fresh', '{{\"queue\": \"{MINE}\"}}')",
            f"select ratchet.grant_queue('{THEIRS}', '{producer}', '{{produce}}')",
            "select ratchet.configure('max_payload_bytes', '99999999')",
        ],
    )


# --- refusals -----------------------------------------------------------------------------
def test_worker_ids_and_tasks_belong_to_their_role(db: str, roles: Roles) -> None:
    owner = roles.make("wa", "ratchet_worker")
    other = roles.make("wb", "ratchet_worker")
    grant(db, MINE, owner, "work")
    grant(db, MINE, other, "work")
    run = sql(db, "select ratchet.start('double', '{\"x\": 1}')")
    later = sql(db, "select ratchet.start('double', '{\"x\": 2}', '{\"delay\": \"1 hour\"}')")
    owner_dsn = as_role(db, owner)
    worker = sql(owner_dsn, f"select ratchet.register_worker('a', ARRAY['{MINE}'])")
    task = claim_one(owner_dsn, worker)
    assert task is not None and task["run"] == run
    t = task["task"]

    assert_refused(
        db,
        as_role(db, other),
        [
            f"select * from ratchet.claim({worker})",
            f"select ratchet.heartbeat({worker})",
            f"select ratchet.deregister_worker({worker})",
            f"select ratchet.checkpoint({t}, 's', '1')",
            f"select ratchet.complete({t}, '{{}}')",
            f"select * from ratchet.complete_many(ARRAY[{t}]::bigint[])",
            f'select ratchet.fail({t}, \'{{"message": "x"}}\')',
            f"select ratchet.sleep({t}, 'nap', now() + interval '1 hour')",
            f"select ratchet.await_event({t}, 'ev', 'go')",
            f"select ratchet.start_child({t}, 'c', 'double', '{{\"x\": 2}}')",
            f"select ratchet.await_runs({t}, 'w', ARRAY[{later}]::bigint[])",
        ],
    )
    # The owner still holds the task and finishes it.
    sql(owner_dsn, f"select ratchet.complete({t}, '{{\"y\": 2}}')")
    assert sql(db, "select status from ratchet.runs where id = %s", (run,)) == "completed"


def test_the_client_raises_permission_denied(db: str, roles: Roles) -> None:
    producer = roles.make("app", "ratchet_producer")
    grant(db, MINE, producer, "produce")
    with build_app(as_role(db, producer), MINE) as app:
        with pytest.raises(pgratchet.PermissionDenied) as info:
            app.start("double", {"x": 1}, queue=THEIRS)
        assert info.value.sqlstate == "42501"
        assert isinstance(info.value, PermissionError)
        assert "produce" in str(info.value)


def test_producer_without_produce_on_the_queue_is_refused(db: str, roles: Roles) -> None:
    producer = roles.make("app", "ratchet_producer")
    grant(db, MINE, producer, "produce")
    grant(db, THEIRS, producer, "read")  # reading is not producing
    theirs = sql(db, "select ratchet.start('secret', '{\"code\": \"a\"}')")
    cancelled = sql(db, "select ratchet.start('secret', '{\"code\": \"b\"}')")
    sql(db, "select ratchet.cancel(%s)", (cancelled,))

    assert_refused(
        db,
        as_role(db, producer),
        [
            "select ratchet.start('secret', '{\"code\": \"c\"}')",
            f"select ratchet.start('double', '{{\"x\": 1}}', '{{\"queue\": \"{THEIRS}\"}}')",
            "select * from ratchet.start_many('secret', '[{\"code\": \"d\"}]')",
            f"select ratchet.signal({theirs}, 'go')",
            f"select ratchet.cancel({theirs})",
            f"select ratchet.retry({cancelled})",
        ],
    )


def test_a_role_in_no_group_cannot_reach_the_schema(db: str, roles: Roles) -> None:
    nobody = roles.make("nobody")
    grant(db, MINE, nobody, "produce", "work", "read", "manage")  # queue rights alone do nothing
    statements = [
        "select ratchet.start('double', '{\"x\": 1}')",
        "select * from ratchet.runs",
        "select * from ratchet.queue_stats",
        "select ratchet.now()",
    ]
    assert_refused(db, as_role(db, nobody), statements)
    for statement in statements:
        with pytest.raises(psycopg.Error, match="permission denied for schema ratchet"):
            sql(as_role(db, nobody), statement)


@pytest.mark.parametrize(
    "group", ["ratchet_producer", "ratchet_worker", "ratchet_reader", "ratchet_admin"]
)
def test_no_group_touches_the_tables_directly(db: str, roles: Roles, group: str) -> None:
    role = roles.make("direct", group)
    grant(db, MINE, role, "produce", "work", "read", "manage")
    run = sql(db, "select ratchet.start('double', '{\"x\": 1}')")
    role_dsn = as_role(db, role)
    refused = [
        "insert into ratchet.runs (workflow, version, queue, status, input, attempt, created_at)"
        f" values ('double', '1', '{MINE}', 'queued', '{{}}', 1, now())",
        f"update ratchet.runs set status = 'completed' where id = {run}",
        f"delete from ratchet.history where run_id = {run}",
        "update ratchet.queue_grants set rights = '{manage}'",
        "insert into ratchet.settings values ('max_payload_bytes', '99999999', now())",
        "truncate ratchet.history",
        "select nextval('ratchet.task_ids')",
        CREATE_TRIGGER,
    ]
    if group != "ratchet_admin":  # admins may read every table, nobody else any
        refused += [
            "select * from ratchet.history",
            "select * from ratchet.tasks",
            "select * from ratchet.steps",
        ]
    with psycopg.connect(role_dsn, autocommit=True) as conn:
        conn.execute(TRIGGER_FN)
        before = table_sums(db)
        for statement in refused:
            with pytest.raises(psycopg.Error) as info:
                conn.execute(statement)
            assert info.value.sqlstate == "42501", f"{statement}: {info.value}"
        assert table_sums(db) == before


def test_event_trigger_refuses_a_trigger_even_after_grant_all(db: str, roles: Roles) -> None:
    careless = roles.make("careless", "ratchet_producer")
    sql(db, f'grant all on all tables in schema ratchet to "{careless}"')
    with psycopg.connect(as_role(db, careless), autocommit=True) as conn:
        conn.execute(TRIGGER_FN)
        with pytest.raises(psycopg.Error, match="only the owner of pgratchet") as info:
            conn.execute(CREATE_TRIGGER)
    assert info.value.sqlstate == "42501"
    assert (
        sql(db, "select count(*) from pg_trigger where tgrelid = 'ratchet.history'::regclass") == 0
    )


def test_fake_clock_is_ignored_for_non_admins(db: str, roles: Roles) -> None:
    worker = roles.make("fleet", "ratchet_worker")
    cheat = roles.make("cheat", "ratchet_worker")
    admin = roles.make("ops", "ratchet_admin")
    grant(db, MINE, worker, "work")
    run = sql(db, "select ratchet.start('double', '{\"x\": 1}')")
    worker_dsn = as_role(db, worker)
    wid = sql(worker_dsn, f"select ratchet.register_worker('w', ARRAY['{MINE}'])")
    task = claim_one(worker_dsn, wid)
    assert task is not None
    far = datetime.now(UTC) + timedelta(days=3650)

    cheat_dsn = with_options(as_role(db, cheat), ratchet__fake_now=far.isoformat())
    assert abs(sql(cheat_dsn, "select ratchet.now()") - datetime.now(UTC)) < timedelta(minutes=1)
    ticked = sql(cheat_dsn, "select ratchet.tick()")
    assert ticked["reclaimed"] == 0, ticked
    assert sql(db, "select count(*) from ratchet.tasks where id = %s", (task["task"],)) == 1
    assert sql(db, "select status from ratchet.runs where id = %s", (run,)) == "running"

    # An admin role's session does move the clock, until configure turns the fake clock off.
    admin_dsn = with_options(as_role(db, admin), ratchet__fake_now=far.isoformat())
    assert sql(admin_dsn, "select ratchet.now()") == far
    sql(db, "select ratchet.configure('fake_clock', 'false')")
    assert abs(sql(admin_dsn, "select ratchet.now()") - datetime.now(UTC)) < timedelta(minutes=1)


def test_session_limits_cannot_be_raised_or_broken(db: str, roles: Roles) -> None:
    producer = roles.make("app", "ratchet_producer")
    grant(db, MINE, producer, "produce")
    big = with_options(as_role(db, producer), ratchet__max_payload_bytes="999999999999")
    junk = with_options(as_role(db, producer), ratchet__max_payload_bytes="abc")
    payload = '{"x": 1, "pad": "' + "x" * 1_100_000 + '"}'
    with pytest.raises(psycopg.Error) as info:
        sql(big, "select ratchet.start('double', %s)", (payload,))
    assert info.value.sqlstate == "RT005"
    assert sql(junk, "select ratchet.start('double', '{\"x\": 1}')") > 0
    assert sql(db, "select count(*) from ratchet.runs") == 1


def test_revoke_takes_effect_at_once(db: str, roles: Roles) -> None:
    producer = roles.make("app", "ratchet_producer")
    worker = roles.make("fleet", "ratchet_worker")
    grant(db, MINE, producer, "produce")
    grant(db, MINE, worker, "work")
    producer_dsn, worker_dsn = as_role(db, producer), as_role(db, worker)
    first = sql(producer_dsn, "select ratchet.start('double', '{\"x\": 1}')")
    second = sql(producer_dsn, "select ratchet.start('double', '{\"x\": 2}')")
    wid = sql(worker_dsn, f"select ratchet.register_worker('w', ARRAY['{MINE}'])")
    task = claim_one(worker_dsn, wid)
    assert task is not None and task["run"] == first

    assert sql(db, "select ratchet.revoke_queue(%s, %s)", (MINE, worker)) is True
    assert sql(db, "select ratchet.revoke_queue(%s, %s, '{produce}')", (MINE, producer)) is True
    # The next claim gets nothing although a run is ready; the task in hand may finish.
    assert claim_one(worker_dsn, wid) is None
    assert sql(db, "select status from ratchet.runs where id = %s", (second,)) == "queued"
    sql(worker_dsn, f"select ratchet.complete({task['task']}, '{{\"y\": 2}}')")
    assert_refused(db, producer_dsn, ["select ratchet.start('double', '{\"x\": 3}')"])
    # With no right left the producer cannot read the runs it started either.
    assert sql(producer_dsn, "select count(*) from ratchet.runs") == 0
    grant(db, MINE, worker, "work")
    assert claim_one(worker_dsn, wid)["run"] == second  # type: ignore[index]


def test_await_runs_does_not_read_other_tenants(db: str, roles: Roles) -> None:
    worker = roles.make("fleet", "ratchet_worker", "ratchet_producer")
    grant(db, MINE, worker, "work", "produce")  # produce: start_child on its queue
    theirs = sql(db, "select ratchet.start('secret', '{\"code\": \"hunter2\"}')")
    sql(db, "select ratchet.cancel(%s)", (theirs,))
    sql(db, "select ratchet.start('double', '{\"x\": 1}')")
    worker_dsn = as_role(db, worker)
    wid = sql(worker_dsn, f"select ratchet.register_worker('w', ARRAY['{MINE}'])")
    task = claim_one(worker_dsn, wid)
    assert task is not None
    assert_refused(
        db,
        worker_dsn,
        [f"select ratchet.await_runs({task['task']}, 'w', ARRAY[{theirs}]::bigint[])"],
    )
    # Its own children it may always await.
    child = sql(
        worker_dsn, f"select ratchet.start_child({task['task']}, 'c', 'double', '{{\"x\": 5}}')"
    )
    assert (
        sql(worker_dsn, f"select ratchet.await_runs({task['task']}, 'w', ARRAY[{child}]::bigint[])")
        is None
    )


def test_security_definer_wrappers_act_as_the_session_role(db: str, roles: Roles) -> None:
    """A SECURITY DEFINER function of another owner is checked as the session's role.

    EXECUTE on ratchet.* is checked against the wrapper's owner (Postgres does that), the
    queue rights against the session (SET ROLE, else the login role): a wrapper cannot lend
    its owner's queue rights to whoever calls it.
    """
    owner = roles.make("owner", "ratchet_producer")
    caller = roles.make("caller", "ratchet_producer")
    grant(db, MINE, owner, "produce")
    sql(
        db,
        "create function public.start_double(x int) returns bigint language sql security definer"
        " set search_path = pg_catalog, pg_temp"
        " as $$ select ratchet.start('double', jsonb_build_object('x', x)) $$",
    )
    sql(db, f'alter function public.start_double(int) owner to "{owner}"')
    sql(db, f'grant execute on function public.start_double(int) to "{caller}"')
    assert sql(as_role(db, owner), "select public.start_double(1)") > 0
    assert_refused(db, as_role(db, caller), ["select public.start_double(2)"])
    # Given produce itself, the caller succeeds through the wrapper; SET ROLE picks the role.
    grant(db, MINE, caller, "produce")
    assert sql(as_role(db, caller), "select public.start_double(3)") > 0
    member = roles.make("member")
    sql(db, f'grant "{caller}" to "{member}"')
    with psycopg.connect(as_role(db, member), autocommit=True) as conn:
        conn.execute(f'set role "{caller}"')
        assert conn.execute("select public.start_double(4)").fetchone()
        conn.execute("reset role")
        # The login role itself inherits the membership, so the wrapper works as it too.
        assert conn.execute("select public.start_double(5)").fetchone()
    sql(db, f'revoke ratchet_producer from "{owner}"')
    # Now the owner lacks EXECUTE on ratchet.start: refused although the caller may start.
    assert_refused(db, as_role(db, caller), ["select public.start_double(6)"])


def test_renamed_roles_keep_and_dropped_roles_can_be_revoked(db: str, cluster: Cluster) -> None:
    """Grants follow the role's oid: a rename keeps them; after a drop they show the oid,
    and revoke_queue takes that number so an admin can clean them up."""
    name = f"rt_{uuid.uuid4().hex[:8]}_short_lived"
    with psycopg.connect(cluster.dsn, autocommit=True) as conn:
        conn.execute(f'create role "{name}" login in role ratchet_producer')
    oid = sql(db, "select oid from pg_roles where rolname = %s", (name,))
    grant(db, MINE, name, "produce")
    try:
        with psycopg.connect(cluster.dsn, autocommit=True) as conn:
            conn.execute(f'alter role "{name}" rename to "{name}_2"')
        assert sql(as_role(db, f"{name}_2"), "select ratchet.start('double', '{\"x\": 1}')") > 0
    finally:
        with psycopg.connect(cluster.dsn, autocommit=True) as conn:
            conn.execute(f'drop role if exists "{name}_2"')
            conn.execute(f'drop role if exists "{name}"')
    assert sql(db, "select role::text from ratchet.queue_grants") == str(oid)
    with pytest.raises(psycopg.Error) as info:
        sql(db, "select ratchet.revoke_queue(%s, %s)", (MINE, f"{name}_2"))
    assert info.value.sqlstate == "RT005"
    assert sql(db, "select ratchet.revoke_queue(%s, %s)", (MINE, str(oid))) is True
    assert sql(db, "select count(*) from ratchet.queue_grants") == 0
