#!/usr/bin/env bash
# shellcheck disable=SC2317  # the check functions are run by name through `check`
# Prove the upgrade from the last release to this tree's version (make upgrade-check):
#
#   extension  CREATE EXTENSION pgratchet VERSION '<from>'; live work in every state
#              (tests/upgrade/live_work_<from>.sql); ALTER EXTENSION pgratchet UPDATE; the schema
#              must be identical to a fresh CREATE EXTENSION (scripts/lib/schema_fingerprint.sql);
#              the new engine finishes the live work losing nothing (tests/upgrade/finish_work.sql);
#              then the whole pgTAP suite runs on the upgraded database.
#   plain      the same for a plain install: extension/pgratchet.plain--<from>.sql, then
#              `pgratchet upgrade` (the CLI applies extension/pgratchet.plain--<from>--<to>.sql),
#              compared with a fresh extension/pgratchet.plain.sql.
#
# Runs on a throwaway cluster (scripts/lib/throwaway_cluster.sh). Needs the extension installed
# (make install), pg_prove, and the .venv for the CLI. Exits non-zero on the first failure.
# PGRATCHET_ENGINE=plain checks only the plain path (this tree's scripts, no make install) and
# runs the pgTAP suite on the upgraded plain database instead.
# Environment: UPGRADE_FROM (default: the newest frozen extension/pgratchet--X.sql other than
# this version), PG_CONFIG, PGRATCHET_KEEP_CLUSTER=1.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT" || exit

PG_CONFIG=${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config}
PGBIN=$("$PG_CONFIG" --bindir) || { echo "upgrade_check: $PG_CONFIG not usable (make setup)" >&2; exit 2; }
PYTHON=${PYTHON:-$ROOT/.venv/bin/python}

log() { printf 'upgrade_check: %s\n' "$*"; }
die() { printf 'upgrade_check: ERROR: %s\n' "$*" >&2; exit 2; }

TO=$(sed -n "s/^[[:space:]]*default_version[[:space:]]*=[[:space:]]*'\([^']*\)'.*/\1/p" pgratchet.control)
if [[ -z ${UPGRADE_FROM:-} ]]; then
    UPGRADE_FROM=$(find extension -maxdepth 1 -name 'pgratchet--*.sql' ! -name '*--*--*' |
        sed 's/.*pgratchet--\(.*\)\.sql/\1/' | grep -vxF "$TO" | sort -V | tail -n 1)
fi
FROM=$UPGRADE_FROM
[[ -n $FROM ]] || die "no released version to upgrade from (extension/pgratchet--X.sql)"
LIVE_WORK=tests/upgrade/live_work_$FROM.sql
for f in "extension/pgratchet--$FROM--$TO.sql" "extension/pgratchet.plain--$FROM.sql" \
    "extension/pgratchet.plain--$FROM--$TO.sql" extension/pgratchet.plain.sql "$LIVE_WORK" \
    tests/upgrade/finish_work.sql scripts/lib/schema_fingerprint.sql; do
    [[ -f $f ]] || die "$f is missing (make build?)"
done
command -v pg_prove >/dev/null || die "pg_prove not found (apt package pgtap; make setup)"
[[ -x $PYTHON ]] || die "$PYTHON not found (make setup)"
log "upgrading $FROM -> $TO"

# shellcheck source=scripts/lib/throwaway_cluster.sh
source "$ROOT/scripts/lib/throwaway_cluster.sh"
start_throwaway_cluster pgratchet-upgrade

psql_run() { # psql_run DB [psql args...]: quiet, stop at the first error
    local db=$1
    shift
    "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -d "$db" "$@"
}
fingerprint() { # fingerprint DB OUT
    psql_run "$1" -At -f scripts/lib/schema_fingerprint.sql >"$2"
}

failed=0
check() { # check DESCRIPTION COMMAND...
    local desc=$1 out
    shift
    if out=$("$@" 2>&1); then
        printf 'upgrade: ok   - %s\n' "$desc"
    else
        printf 'upgrade: FAIL - %s\n' "$desc"
        printf '%s\n' "$out" | grep -v '\.\.\. ok$' | sed 's/^/    | /' | tail -n 80
        failed=1
        return 1
    fi
}

same_schema() { # same_schema FRESH_DB UPGRADED_DB
    fingerprint "$1" "$CLUSTER_DIR/$1.fp" && fingerprint "$2" "$CLUSTER_DIR/$2.fp" || return 1
    [[ -s $CLUSTER_DIR/$1.fp ]] || { echo "empty fingerprint of $1"; return 1; }
    diff -u --label "fresh $TO ($1)" --label "upgraded from $FROM ($2)" \
        "$CLUSTER_DIR/$1.fp" "$CLUSTER_DIR/$2.fp"
}

# --- extension -------------------------------------------------------------------------------
ext_fresh() {
    "$PGBIN/createdb" ext_fresh && psql_run ext_fresh -c 'CREATE EXTENSION pgratchet'
}
ext_old_with_work() {
    "$PGBIN/createdb" ext_upgraded &&
        psql_run ext_upgraded -c "CREATE EXTENSION pgratchet VERSION '$FROM'" &&
        psql_run ext_upgraded -f "$LIVE_WORK"
}
ext_update() {
    psql_run ext_upgraded -c 'ALTER EXTENSION pgratchet UPDATE' &&
        [[ $(psql_run ext_upgraded -At -c "SELECT extversion FROM pg_extension WHERE extname = 'pgratchet'") == "$TO" ]]
}
finish() { # finish DB
    psql_run "$1" -v version="$TO" -o /dev/null -f tests/upgrade/finish_work.sql
}
pgtap_on() { # pgtap_on DB: the whole pgTAP suite on that database
    psql_run "$1" -c 'CREATE EXTENSION IF NOT EXISTS pgtap' &&
        mapfile -t files < <(find pgtap -type f -name '*.sql' | LC_ALL=C sort) &&
        pg_prove --dbname "$1" --failures "${files[@]}"
}

if [[ ${PGRATCHET_ENGINE:-extension} == plain ]]; then
    log "PGRATCHET_ENGINE=plain: the extension part is skipped (it needs make install)"
else
    check "CREATE EXTENSION pgratchet ($TO)" ext_fresh &&
        check "CREATE EXTENSION pgratchet VERSION '$FROM' with live work in every state" ext_old_with_work &&
        check "ALTER EXTENSION pgratchet UPDATE ($FROM -> $TO)" ext_update &&
        check "upgraded schema is identical to a fresh $TO install" same_schema ext_fresh ext_upgraded &&
        check "the $TO engine finishes the live work and nothing was lost" finish ext_upgraded &&
        check "pgTAP suite on the upgraded database" pgtap_on ext_upgraded
fi

# --- plain script ----------------------------------------------------------------------------
plain_fresh() {
    "$PGBIN/createdb" plain_fresh &&
        psql_run plain_fresh --single-transaction -f extension/pgratchet.plain.sql
}
plain_old_with_work() {
    "$PGBIN/createdb" plain_upgraded &&
        psql_run plain_upgraded --single-transaction -f "extension/pgratchet.plain--$FROM.sql" &&
        psql_run plain_upgraded -f "$LIVE_WORK"
}
plain_cli_upgrade() {
    local dsn="host=$PGHOST port=$PGPORT user=$PGUSER dbname=plain_upgraded"
    PYTHONPATH="$ROOT/python_client" "$PYTHON" -m pgratchet --dsn "$dsn" upgrade &&
        [[ $(psql_run plain_upgraded -At -c 'SELECT ratchet.version()') == "$TO" ]] &&
        # a second run finds nothing to do
        PYTHONPATH="$ROOT/python_client" "$PYTHON" -m pgratchet --dsn "$dsn" upgrade | grep -q 'already'
}

check "plain install of $TO" plain_fresh &&
    check "plain install of $FROM with live work in every state" plain_old_with_work &&
    check "pgratchet upgrade (plain, $FROM -> $TO)" plain_cli_upgrade &&
    check "upgraded plain schema is identical to a fresh plain $TO install" same_schema plain_fresh plain_upgraded &&
    check "the $TO engine finishes the live work (plain) and nothing was lost" finish plain_upgraded &&
    if [[ ${PGRATCHET_ENGINE:-extension} == plain ]]; then
        check "pgTAP suite on the upgraded plain database" pgtap_on plain_upgraded
    fi

if ((failed)); then
    log "FAILED"
    exit 1
fi
log "passed: $FROM -> $TO (extension and plain)"
