#!/usr/bin/env bash
# Lint SQL (sqlfluff, config in .sqlfluff), Python (ruff check + ruff format --check, and mypy
# --strict on the client package and examples/; config in python_client/pyproject.toml) and
# the shell scripts (shellcheck). Runs every linter, exits non-zero if any complained.
# Only paths that exist are linted. `make fmt` fixes most Python findings.
# .pre-commit-config.yaml runs the same tools on the files a commit changes.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT" || exit

tool() { # prefer the project's virtualenv, then PATH
    if [[ -x .venv/bin/$1 ]]; then echo ".venv/bin/$1"; elif command -v "$1" >/dev/null; then command -v "$1"; fi
}
existing() { local d; for d in "$@"; do [[ -e $d ]] && echo "$d"; done; }

rc=0
mapfile -t sql_dirs < <(existing sql pgtap)
mapfile -t py_dirs < <(existing python_client tests bench examples)
# Why tests/ and bench/ are not type-checked: see [tool.mypy] in python_client/pyproject.toml.
mapfile -t typed_dirs < <(existing python_client/pgratchet examples)
mapfile -t shell_files < <(existing scripts/*.sh scripts/lib/*.sh .ci/run)

SQLFLUFF=$(tool sqlfluff)
if ((${#sql_dirs[@]})); then
    if [[ -z $SQLFLUFF ]]; then
        echo "lint: sqlfluff not installed (make setup)" >&2; rc=1
    else
        echo "lint: sqlfluff lint ${sql_dirs[*]}"
        "$SQLFLUFF" lint "${sql_dirs[@]}" --dialect postgres --disable-progress-bar || rc=1
    fi
fi

RUFF=$(tool ruff)
# One ruff configuration for every Python directory: the client's (tests/, bench/ and
# examples/ have no pyproject.toml of their own, so ruff would otherwise use its defaults).
RUFF_CONFIG=()
if grep -qs '^\[tool\.ruff' python_client/pyproject.toml; then
    RUFF_CONFIG=(--config python_client/pyproject.toml)
fi
if ((${#py_dirs[@]})); then
    if [[ -z $RUFF ]]; then
        echo "lint: ruff not installed (make setup)" >&2; rc=1
    else
        echo "lint: ruff check ${py_dirs[*]}"
        "$RUFF" check "${RUFF_CONFIG[@]}" "${py_dirs[@]}" || rc=1
        echo "lint: ruff format --check ${py_dirs[*]}"
        "$RUFF" format --check "${RUFF_CONFIG[@]}" "${py_dirs[@]}" || rc=1
    fi
fi

MYPY=$(tool mypy)
if ((${#typed_dirs[@]})); then
    if [[ -z $MYPY ]]; then
        echo "lint: mypy not installed (make setup)" >&2; rc=1
    else
        echo "lint: mypy ${typed_dirs[*]}"
        "$MYPY" --config-file python_client/pyproject.toml "${typed_dirs[@]}" || rc=1
    fi
fi

SHELLCHECK=$(tool shellcheck)
if ((${#shell_files[@]})); then
    if [[ -z $SHELLCHECK ]]; then
        echo "lint: shellcheck not installed (apt package shellcheck; make setup)" >&2; rc=1
    else
        echo "lint: shellcheck ${shell_files[*]}"
        "$SHELLCHECK" -x "${shell_files[@]}" || rc=1
    fi
fi

if ((rc == 0)); then echo "lint: clean"; else echo "lint: FAILED"; fi
exit "$rc"
