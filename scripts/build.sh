#!/usr/bin/env bash
# Build the engine's SQL scripts from sql/. Two kinds of source:
#   sql/install/*.sql   state created once, by a fresh install: the schema, tables, sequences,
#                       seed rows, the pg_dump registration (99_config_dump.sql)
#   sql/*.sql           code: functions, views, triggers, roles, grants, policies. Every file is
#                       re-runnable (CREATE OR REPLACE ...), so every upgrade re-applies all of it
#   sql/upgrade/FROM--TO/*.sql
#                       what turns a FROM database's state into TO's (tables, data, dropped
#                       functions); TO is the version being built
# A script is its sources sorted by file name (across the directories), each once:
#   extension/pgratchet--V.sql              CREATE EXTENSION: install/ + code
#   extension/pgratchet.plain.sql           the same for servers without the extension files
#   extension/pgratchet--F--V.sql           ALTER EXTENSION pgratchet UPDATE: upgrade/F--V/ + code
#   extension/pgratchet.plain--F--V.sql     the same for a plain install (pgratchet upgrade)
# The plain scripts leave out every 99_config_dump.sql (only valid in an extension script).
# '@PGRATCHET_VERSION@' in a source becomes V (default_version in pgratchet.control).
# Scripts of released versions (e.g. extension/pgratchet--0.1.0.sql) are frozen: never built.
# A file is rewritten only when its content changes, so timestamps stay meaningful.
#
# Usage: scripts/build.sh [SQL_DIR [OUT_DIR]]   (defaults: sql extension)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

SQL_DIR=${1:-sql}
OUT_DIR=${2:-extension}
CONFIG_DUMP=99_config_dump.sql

VERSION=$(sed -n "s/^[[:space:]]*default_version[[:space:]]*=[[:space:]]*'\([^']*\)'.*/\1/p" pgratchet.control)
if [[ -z $VERSION ]]; then
    echo "build: no default_version in pgratchet.control" >&2
    exit 1
fi

# sorted_sources DIR...: the *.sql files of the directories, ordered by file name alone (byte
# order, never the locale), so install/ or upgrade/ files slot in between the code files.
sorted_sources() {
    local d
    for d in "$@"; do
        find "$d" -maxdepth 1 -type f -name '*.sql'
    done | awk -F/ '{ print $NF "\t" $0 }' | LC_ALL=C sort | cut -f2-
}

mapfile -t code < <(sorted_sources "$SQL_DIR")
if ((${#code[@]} == 0)); then
    echo "build: no $SQL_DIR/*.sql files to build from" >&2
    exit 1
fi
mkdir -p "$OUT_DIR"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

header() { # header TITLE SOURCES
    cat <<EOF
-- pgratchet $VERSION: $1
-- GENERATED FILE, do not edit. Built by scripts/build.sh (make build) from $2;
-- edit the sources there and rebuild.
EOF
}

append_sources() { # append_sources OUT ext|plain DIR...: concatenate the sources of the DIRs
    local out=$1 kind=$2 f
    shift 2
    while IFS= read -r f; do
        if [[ $kind == plain && $(basename "$f") == "$CONFIG_DUMP" ]]; then
            continue
        fi
        printf '\n-- ==== %s ====\n\n' "$f" >>"$out"
        sed "s/@PGRATCHET_VERSION@/$VERSION/g" "$f" >>"$out"
        # A source without a final newline must not glue its last line to the next banner.
        [[ -z $(tail -c 1 "$f") ]] || printf '\n' >>"$out"
    done < <(sorted_sources "$@")
}

install_if_changed() { # $1 = new content, $2 = target
    if [[ -f $2 ]] && cmp -s "$1" "$2"; then
        echo "build: $2 unchanged"
    else
        cp "$1" "$2"
        chmod 644 "$2"
        echo "build: wrote $2"
    fi
}

# --- fresh install ---------------------------------------------------------------------------
{
    header "extension install script (CREATE EXTENSION pgratchet)" "$SQL_DIR/install/*.sql + $SQL_DIR/*.sql"
    echo
    echo '-- complain if this script is sourced in psql rather than run by CREATE EXTENSION'
    printf '%s\n' '\echo Use "CREATE EXTENSION pgratchet" to load this file. \quit'
} >"$tmp/ext"
append_sources "$tmp/ext" ext "$SQL_DIR/install" "$SQL_DIR"

{
    header "plain install script for servers that cannot install extensions" "$SQL_DIR/install/*.sql + $SQL_DIR/*.sql"
    cat <<'EOF'
-- Apply as one transaction:  psql -v ON_ERROR_STOP=1 --single-transaction -f pgratchet.plain.sql
-- Remove with:               DROP SCHEMA ratchet CASCADE;
EOF
} >"$tmp/plain"
append_sources "$tmp/plain" plain "$SQL_DIR/install" "$SQL_DIR"

install_if_changed "$tmp/ext" "$OUT_DIR/pgratchet--$VERSION.sql"
install_if_changed "$tmp/plain" "$OUT_DIR/pgratchet.plain.sql"

# --- upgrades to this version ----------------------------------------------------------------
shopt -s nullglob
for dir in "$SQL_DIR"/upgrade/*--"$VERSION"; do
    from=$(basename "$dir")
    from=${from%--"$VERSION"}
    {
        header "upgrade from $from (ALTER EXTENSION pgratchet UPDATE)" "$dir/*.sql + $SQL_DIR/*.sql"
        echo
        echo '-- complain if this script is sourced in psql rather than run by ALTER EXTENSION'
        printf '%s\n' '\echo Use "ALTER EXTENSION pgratchet UPDATE" to load this file. \quit'
    } >"$tmp/up"
    append_sources "$tmp/up" ext "$dir" "$SQL_DIR"
    {
        header "plain upgrade from $from for a plain install" "$dir/*.sql + $SQL_DIR/*.sql"
        cat <<EOF
-- Apply with \`pgratchet upgrade\`, or as one transaction to a database whose ratchet schema
-- is version $from:  psql -v ON_ERROR_STOP=1 --single-transaction -f pgratchet.plain--$from--$VERSION.sql
EOF
    } >"$tmp/plainup"
    append_sources "$tmp/plainup" plain "$dir" "$SQL_DIR"
    install_if_changed "$tmp/up" "$OUT_DIR/pgratchet--$from--$VERSION.sql"
    install_if_changed "$tmp/plainup" "$OUT_DIR/pgratchet.plain--$from--$VERSION.sql"
done
