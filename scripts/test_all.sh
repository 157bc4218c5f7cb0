#!/usr/bin/env bash
# Run every suite (lint, pgTAP + packaging checks, upgrade-check, isolation specs, pytest),
# even when an earlier one fails, then print a recap with the runners' own summary lines. Exits non-zero
# if any suite failed.
# Expects `make setup build install` to have run (make test does that first).
# PYTEST_ARGS adds arguments to pytest (e.g. PYTEST_ARGS="-x -k lease").
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT" || exit

LOGDIR=$(mktemp -d /tmp/pgratchet-test.XXXXXX)
trap 'rm -rf "$LOGDIR"' EXIT

declare -A status
banner() { printf '\n========== %s ==========\n' "$*"; }

# --- lint ------------------------------------------------------------------------------------
banner "lint"
scripts/lint.sh 2>&1 | tee "$LOGDIR/lint.log"
[[ ${PIPESTATUS[0]} -eq 0 ]] && status[lint]=PASS || status[lint]=FAIL

# --- pgTAP and packaging checks --------------------------------------------------------------
banner "pgtap (pg_prove) + packaging checks"
scripts/run_pgtap.sh 2>&1 | tee "$LOGDIR/pgtap.log"
[[ ${PIPESTATUS[0]} -eq 0 ]] && status[pgtap]=PASS || status[pgtap]=FAIL

# --- upgrade from the last release ------------------------------------------------------------
banner "upgrade-check (last release -> this version, extension and plain)"
scripts/upgrade_check.sh 2>&1 | tee "$LOGDIR/upgrade.log"
[[ ${PIPESTATUS[0]} -eq 0 ]] && status[upgrade]=PASS || status[upgrade]=FAIL

# --- isolation (deterministic concurrency specs) ---------------------------------------------
banner "isolation (pg_isolation_regress)"
scripts/run_isolation.sh 2>&1 | tee "$LOGDIR/isolation.log"
[[ ${PIPESTATUS[0]} -eq 0 ]] && status[isolation]=PASS || status[isolation]=FAIL

# --- pytest (last, so its summary line closes the run) ---------------------------------------
banner "pytest"
if [[ ! -d tests ]]; then
    echo "pytest: no tests/ directory yet"
    status[pytest]=SKIP
else
    # shellcheck disable=SC2086  # PYTEST_ARGS is split on purpose
    .venv/bin/pytest tests -q -ra ${PYTEST_ARGS:-} 2>&1 | tee "$LOGDIR/pytest.log"
    rc=${PIPESTATUS[0]}
    case $rc in
        0) status[pytest]=PASS ;;
        5) status[pytest]=SKIP; echo "pytest: no tests collected" ;;
        *) status[pytest]=FAIL ;;
    esac
fi

# --- recap ---------------------------------------------------------------------------------
# The verdict first; pytest's own summary line last, as the closing line of the run.
banner "summary"
failed=()
for suite in lint pgtap upgrade isolation pytest; do
    [[ ${status[$suite]} == FAIL ]] && failed+=("$suite")
done
verdict="lint ${status[lint]}, pgtap ${status[pgtap]}, upgrade ${status[upgrade]}, isolation ${status[isolation]}, pytest ${status[pytest]}"
if ((${#failed[@]})); then
    echo "make test: FAILED: ${failed[*]} ($verdict)"
else
    echo "make test: all suites passed ($verdict)"
fi
echo "pg_prove:"
grep -E '^(Files=|Result:|Failed [0-9]+/)' "$LOGDIR/pgtap.log" | sed 's/^/    /'
grep -E '^(packaging: FAIL|run_pgtap: (packaging checks|no pgTAP))' "$LOGDIR/pgtap.log" | sed 's/^/    /'
echo "upgrade-check:"
grep -E '^(upgrade: FAIL|upgrade_check: (passed|FAILED|ERROR))' "$LOGDIR/upgrade.log" | sed 's/^/    /'
echo "isolation:"
grep -E '^( *[0-9]+ of [0-9]+ tests failed| *All [0-9]+ tests passed|test .* FAILED|run_isolation: ERROR)' \
    "$LOGDIR/isolation.log" | sed 's/^ */    /'
if [[ -f $LOGDIR/pytest.log ]]; then
    echo "pytest:"
    grep -E '(passed|failed|error|skipped|no tests ran)' "$LOGDIR/pytest.log" | tail -n 1
fi
((${#failed[@]} == 0))
