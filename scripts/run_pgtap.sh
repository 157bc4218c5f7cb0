#!/usr/bin/env bash
# shellcheck disable=SC2317  # cleanup (trap) and the check functions (run by name) are reachable
# Run the pgTAP suite and the packaging checks against a throwaway PostgreSQL cluster.
#
#   scripts/run_pgtap.sh [TEST_PATH ...]     (default: pgtap/, searched recursively)
#
# 1. initdb a private cluster in a temp dir under /tmp (socket inside it, no TCP), start it.
# 2. pgTAP: CREATE EXTENSION pgtap, pgratchet in a fresh database and run `pg_prove` on every
#    pgtap/**/*.sql file (each file is BEGIN; plan(n); ...; ROLLBACK;).
# 3. Packaging checks (skip with PGRATCHET_SKIP_PACKAGING=1):
#    - extension/pgratchet.plain.sql applies cleanly to a fresh database, without the extension;
#    - pg_dump of a database using the extension carries the runtime table data, and the dump
#      restores into a fresh database where the engine keeps working;
#    - DROP EXTENSION pgratchet leaves no schema ratchet behind.
# The cluster is stopped and removed on exit. Exits non-zero if pg_prove or any packaging
# check failed. Needs the extension installed (make install).
#
# Environment: PG_CONFIG (default /usr/lib/postgresql/15/bin/pg_config), PGTAP_JOBS (pg_prove
# -j, default 1), PGRATCHET_KEEP_CLUSTER=1 keeps the temp dir for inspection.
# PGRATCHET_ENGINE=plain loads the engine from this tree's extension/pgratchet.plain.sql
# instead of the installed extension and skips the packaging checks: parallel work in several
# git worktrees then never depends on (or overwrites) the one system-wide `make install`.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT" || exit

PG_CONFIG=${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config}
PGBIN=$("$PG_CONFIG" --bindir) || { echo "run_pgtap: $PG_CONFIG not usable (make setup)" >&2; exit 2; }
PLAIN_SCRIPT=extension/pgratchet.plain.sql

log() { printf 'run_pgtap: %s\n' "$*"; }
die() { printf 'run_pgtap: ERROR: %s\n' "$*" >&2; exit 2; }

command -v pg_prove >/dev/null || die "pg_prove not found (apt package pgtap; make setup)"

# --- throwaway cluster ---------------------------------------------------------------------
# shellcheck source=scripts/lib/throwaway_cluster.sh
source "$ROOT/scripts/lib/throwaway_cluster.sh"
start_throwaway_cluster pgratchet-pgtap

psql_q() { # psql_q DB SQL: run SQL, print unaligned tuples only; fails on the first error
    "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -At -d "$1" -c "$2"
}

ENGINE=${PGRATCHET_ENGINE:-extension}
case $ENGINE in
    extension)
        available=$(psql_q postgres "SELECT count(*) FROM pg_available_extensions WHERE name = 'pgratchet'")
        [[ $available == 1 ]] || die "extension pgratchet is not installed for $PG_CONFIG (run: make install)"
        ;;
    plain) [[ -f $PLAIN_SCRIPT ]] || die "$PLAIN_SCRIPT not found (make build)" ;;
    *) die "PGRATCHET_ENGINE must be extension or plain, not $ENGINE" ;;
esac

# --- 1. pgTAP suite --------------------------------------------------------------------------
TESTS=("$@")
((${#TESTS[@]})) || TESTS=(pgtap)

mapfile -t test_files < <(find "${TESTS[@]}" -type f -name '*.sql' 2>/dev/null | LC_ALL=C sort)
prove_rc=0
if ((${#test_files[@]} == 0)); then
    log "no pgTAP test files under ${TESTS[*]}; skipping pg_prove"
else
    "$PGBIN/createdb" pgratchet_test || die "createdb failed"
    psql_q pgratchet_test 'CREATE EXTENSION pgtap;' || die "CREATE EXTENSION pgtap failed"
    if [[ $ENGINE == plain ]]; then
        "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 --single-transaction -d pgratchet_test \
            -f "$PLAIN_SCRIPT" >/dev/null || die "applying $PLAIN_SCRIPT failed (see the error above)"
    else
        psql_q pgratchet_test 'CREATE EXTENSION pgratchet;' ||
            die "CREATE EXTENSION failed (see the error above)"
    fi
    log "pg_prove: ${#test_files[@]} files"
    pg_prove --dbname pgratchet_test --jobs "${PGTAP_JOBS:-1}" --failures "${test_files[@]}"
    prove_rc=$?
fi

# --- 2. packaging checks ---------------------------------------------------------------------
pkg_pass=0
pkg_fail=0
check() { # check DESCRIPTION COMMAND...: run COMMAND; report ok / NOT OK
    local desc=$1 out
    shift
    if out=$("$@" 2>&1); then
        pkg_pass=$((pkg_pass + 1))
        printf 'packaging: ok   - %s\n' "$desc"
    else
        pkg_fail=$((pkg_fail + 1))
        printf 'packaging: FAIL - %s\n' "$desc"
        printf '%s\n' "$out" | sed 's/^/    | /' | head -n 40
        return 1
    fi
}
expect() { # expect DB SQL WANT: SQL's single result must equal WANT
    local got
    got=$(psql_q "$1" "$2") || return 1
    if [[ $got != "$3" ]]; then
        printf 'query:    %s\nexpected: %s\ngot:      %s\n' "$2" "$3" "$got"
        return 1
    fi
}

plain_apply() {
    "$PGBIN/createdb" pkg_plain &&
        "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 --single-transaction -d pkg_plain -f "$PLAIN_SCRIPT"
}
plain_works() {
    expect pkg_plain "SELECT count(*) FROM pg_extension WHERE extname = 'pgratchet'" 0 &&
        expect pkg_plain "SELECT count(*) FROM pg_namespace WHERE nspname = 'ratchet'" 1 &&
        expect pkg_plain "SELECT ratchet.now() IS NOT NULL" t &&
        psql_q pkg_plain "SELECT ratchet.register_workflow('pkg_plain_wf');
                          SELECT ratchet.start('pkg_plain_wf', '{\"n\": 1}');" >/dev/null &&
        expect pkg_plain "SELECT count(*) FROM ratchet.runs WHERE workflow = 'pkg_plain_wf'" 1
}

MARKER=pkg_dump_marker_7f3a
ext_with_data() {
    "$PGBIN/createdb" pkg_ext &&
        psql_q pkg_ext "CREATE EXTENSION pgratchet;
            SELECT ratchet.create_queue('pkg_dumpq', '{\"concurrency\": 3}');
            SELECT ratchet.register_workflow('pkg_dump_wf', '{\"queue\": \"pkg_dumpq\"}');
            SELECT ratchet.start('pkg_dump_wf', '{\"marker\": \"$MARKER\"}');" >/dev/null
}
dump_has_data() {
    "$PGBIN/pg_dump" -d pkg_ext -f "$CLUSTER_DIR/pkg_ext.dump.sql" || return 1
    local missing=0 word
    for word in "CREATE EXTENSION IF NOT EXISTS pgratchet" pkg_dumpq pkg_dump_wf "$MARKER"; do
        if ! grep -qF -- "$word" "$CLUSTER_DIR/pkg_ext.dump.sql"; then
            echo "pg_dump output lacks: $word (tables not registered with pg_extension_config_dump?)"
            missing=1
        fi
    done
    return "$missing"
}
dump_restores() {
    "$PGBIN/createdb" pkg_restored &&
        "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 --single-transaction -d pkg_restored \
            -f "$CLUSTER_DIR/pkg_ext.dump.sql" >/dev/null &&
        expect pkg_restored "SELECT count(*) FROM ratchet.runs WHERE input->>'marker' = '$MARKER'" 1 &&
        expect pkg_restored "SELECT count(*) FROM pg_namespace WHERE nspname = 'ratchet'" 1 &&
        # New ids must not collide with restored ones: the sequences were dumped too.
        psql_q pkg_restored "SELECT ratchet.start('pkg_dump_wf', '{\"after\": \"restore\"}')" >/dev/null &&
        expect pkg_restored "SELECT count(*) FROM ratchet.runs WHERE workflow = 'pkg_dump_wf'" 2
}
drop_removes_schema() {
    psql_q pkg_ext "DROP EXTENSION pgratchet" &&
        expect pkg_ext "SELECT count(*) FROM pg_namespace WHERE nspname = 'ratchet'" 0 &&
        expect pkg_ext "SELECT count(*) FROM pg_extension WHERE extname = 'pgratchet'" 0
}

if [[ ${PGRATCHET_SKIP_PACKAGING:-0} == 1 || $ENGINE == plain ]]; then
    log "packaging checks skipped (PGRATCHET_SKIP_PACKAGING=1 or PGRATCHET_ENGINE=plain)"
else
    if [[ -f $PLAIN_SCRIPT ]]; then
        check "plain script applies to a fresh database" plain_apply &&
            check "plain script installs a working engine without the extension" plain_works
    else
        check "plain script $PLAIN_SCRIPT exists (make build)" false
    fi
    if check "CREATE EXTENSION pgratchet and start a run" ext_with_data; then
        check "pg_dump includes the runtime table data" dump_has_data &&
            check "the dump restores into a fresh database and the engine keeps working" dump_restores
        check "DROP EXTENSION pgratchet removes schema ratchet" drop_removes_schema
    fi
    log "packaging checks: $pkg_pass ok, $pkg_fail failing"
fi

if ((prove_rc != 0)); then
    log "pg_prove FAILED (exit $prove_rc)"
fi
if ((pkg_fail != 0)); then
    log "packaging checks FAILED"
    exit 1
fi
exit "$prove_rc"
