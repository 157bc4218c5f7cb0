#!/usr/bin/env bash
# make verify: fail when a committed generated file is stale, i.e. extension/*.sql differs from
# what scripts/build.sh makes of sql/ now (someone edited sql/ and did not run make build, or
# edited a generated file by hand). Builds into a temp dir; changes nothing in the tree.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
scripts/build.sh sql "$tmp" >/dev/null

stale=0
for built in "$tmp"/*.sql; do
    committed=extension/$(basename "$built")
    if [[ ! -f $committed ]]; then
        echo "verify: $committed is missing (run make build and commit it)" >&2
        stale=1
    elif ! cmp -s "$built" "$committed"; then
        echo "verify: $committed is stale (run make build and commit it):" >&2
        diff -u "$committed" "$built" | head -n 20 >&2 || true
        stale=1
    fi
done
if ((stale)); then
    exit 1
fi
echo "verify: $(find "$tmp" -name '*.sql' | wc -l) generated scripts match sql/"
