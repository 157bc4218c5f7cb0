#!/usr/bin/env bash
# Build the install scripts from sql/ (concatenated in lexical order of file names):
#   extension/pgratchet--<version>.sql   for CREATE EXTENSION (all files)
#   extension/pgratchet.plain.sql        for managed Postgres, applied with psql (all files
#                                        except 99_config_dump.sql, which only works inside
#                                        an extension script)
# A file is rewritten only when its content changes, so timestamps stay meaningful.
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

shopt -s nullglob
sources=("$SQL_DIR"/*.sql)
shopt -u nullglob
if ((${#sources[@]} == 0)); then
    echo "build: no $SQL_DIR/*.sql files to build from" >&2
    exit 1
fi
# Globs sort by the locale; force byte order so the load order never depends on it.
mapfile -t sources < <(printf '%s\n' "${sources[@]}" | LC_ALL=C sort)

mkdir -p "$OUT_DIR"
ext_out="$OUT_DIR/pgratchet--$VERSION.sql"
plain_out="$OUT_DIR/pgratchet.plain.sql"
tmp_ext=$(mktemp)
tmp_plain=$(mktemp)
trap 'rm -f "$tmp_ext" "$tmp_plain"' EXIT

header() {
    cat <<EOF
-- pgratchet $VERSION: $1
-- GENERATED FILE, do not edit. Built by scripts/build.sh (make build) from $SQL_DIR/*.sql;
-- edit the sources there and rebuild.
EOF
}

append_sources() { # $1 = output file, $2 = "plain" to leave out the config-dump file
    local f
    for f in "${sources[@]}"; do
        if [[ $2 == plain && $(basename "$f") == "$CONFIG_DUMP" ]]; then
            continue
        fi
        printf '\n-- ==== %s ====\n\n' "$f" >>"$1"
        cat "$f" >>"$1"
        # A source without a final newline must not glue its last line to the next banner.
        [[ -z $(tail -c 1 "$f") ]] || printf '\n' >>"$1"
    done
}

{
    header "extension install script (CREATE EXTENSION pgratchet)"
    echo
    echo '-- complain if this script is sourced in psql rather than run by CREATE EXTENSION'
    printf '%s\n' '\echo Use "CREATE EXTENSION pgratchet" to load this file. \quit'
} >"$tmp_ext"
append_sources "$tmp_ext" ext

{
    header "plain install script for servers that cannot install extensions"
    cat <<'EOF'
-- Apply as one transaction:  psql -v ON_ERROR_STOP=1 --single-transaction -f pgratchet.plain.sql
-- Remove with:               DROP SCHEMA ratchet CASCADE;
EOF
} >"$tmp_plain"
append_sources "$tmp_plain" plain

install_if_changed() { # $1 = new content, $2 = target
    if [[ -f $2 ]] && cmp -s "$1" "$2"; then
        echo "build: $2 unchanged"
    else
        cp "$1" "$2"
        chmod 644 "$2"
        echo "build: wrote $2"
    fi
}
install_if_changed "$tmp_ext" "$ext_out"
install_if_changed "$tmp_plain" "$plain_out"
