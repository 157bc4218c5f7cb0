#!/usr/bin/env bash
# Run the deterministic concurrency tests (tests/isolation) against a throwaway cluster.
#
#   scripts/run_isolation.sh [SPEC ...]     (default: every spec in tests/isolation/schedule)
#
# 1. initdb a private cluster in a temp dir under /tmp (socket inside it, no TCP), start it.
# 2. Create a database with the engine (CREATE EXTENSION pgratchet; with PGRATCHET_ENGINE=plain
#    this tree's extension/pgratchet.plain.sql instead) and tests/isolation/helpers.sql.
# 3. pg_isolation_regress --use-existing: isolationtester runs each spec's permutations and
#    compares the output with tests/isolation/expected/<spec>.out.
# On failure the diffs are printed. The cluster is stopped and removed on exit. Exits non-zero
# if a spec failed or the run could not start.
#
# Environment: PG_CONFIG (default /usr/lib/postgresql/15/bin/pg_config), PGRATCHET_ENGINE
# (extension | plain), PGRATCHET_KEEP_CLUSTER=1 keeps the temp dir (results, diffs, logs).
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT" || exit 2

PG_CONFIG=${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config}
PGBIN=$("$PG_CONFIG" --bindir) || { echo "run_isolation: $PG_CONFIG not usable (make setup)" >&2; exit 2; }
PGXS_SRC=$(dirname "$(dirname "$("$PG_CONFIG" --pgxs)")")
REGRESS="$PGXS_SRC/test/isolation/pg_isolation_regress"
PLAIN_SCRIPT=extension/pgratchet.plain.sql
SUITE=tests/isolation
DB=pgratchet_isolation

log() { printf 'run_isolation: %s\n' "$*"; }
die() { printf 'run_isolation: ERROR: %s\n' "$*" >&2; exit 2; }

[[ -x $REGRESS ]] || die "pg_isolation_regress not found at $REGRESS (postgresql-server-dev-15; make setup)"

ENGINE=${PGRATCHET_ENGINE:-extension}
case $ENGINE in
    extension) ;;
    plain) [[ -f $PLAIN_SCRIPT ]] || die "$PLAIN_SCRIPT not found (make build)" ;;
    *) die "PGRATCHET_ENGINE must be extension or plain, not $ENGINE" ;;
esac

# --- throwaway cluster ---------------------------------------------------------------------
# shellcheck source=scripts/lib/throwaway_cluster.sh
source "$ROOT/scripts/lib/throwaway_cluster.sh"
start_throwaway_cluster pgratchet-isolation
OUT="$CLUSTER_DIR/out"

psql_f() { # psql_f FILE: apply FILE to the test database in one transaction
    "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 --single-transaction -d "$DB" -f "$1" >/dev/null
}

"$PGBIN/createdb" "$DB" || die "createdb failed"
if [[ $ENGINE == plain ]]; then
    psql_f "$PLAIN_SCRIPT" || die "applying $PLAIN_SCRIPT failed (see the error above)"
else
    "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -d "$DB" -c 'CREATE EXTENSION pgratchet;' ||
        die "CREATE EXTENSION pgratchet failed (is it installed? make install)"
fi
psql_f "$SUITE/helpers.sql" || die "applying $SUITE/helpers.sql failed"

# --- isolation specs -----------------------------------------------------------------------
mkdir -p "$OUT"
if (($#)); then
    WHAT=("$@")
else
    WHAT=(--schedule="$SUITE/schedule")
fi
log "engine: $ENGINE; pg_isolation_regress on ${WHAT[*]}"
"$REGRESS" --use-existing --host="$PGHOST" --port="$PGPORT" --user="$PGUSER" --dbname="$DB" \
    --inputdir="$SUITE" --outputdir="$OUT" "${WHAT[@]}"
rc=$?

if ((rc != 0)); then
    if [[ -s $OUT/regression.diffs ]]; then
        log "differences from the expected output ($SUITE/expected):"
        cat "$OUT/regression.diffs"
    fi
    log "isolation specs FAILED (exit $rc)"
    exit 1
fi
exit 0
