#!/usr/bin/env bash
# Prepare a machine for building and testing pgratchet. Idempotent and quiet when there is
# nothing to do: installs the Debian packages that are missing, then creates .venv and
# installs the Python client with its dev extras (only again when its pyproject.toml changes).
# Never reads stdin, so it runs the same in CI as at a terminal.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

APT_PACKAGES=(
    postgresql-15
    postgresql-client-15
    postgresql-server-dev-15
    postgresql-plpython3-15
    postgresql-15-pgtap
    pgtap
    python3-venv
    shellcheck
)

log() { printf 'setup: %s\n' "$*"; }

is_installed() {
    dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'
}

# --- Debian packages ---------------------------------------------------------------------
missing=()
for pkg in "${APT_PACKAGES[@]}"; do
    is_installed "$pkg" || missing+=("$pkg")
done

if ((${#missing[@]})); then
    log "installing missing packages: ${missing[*]}"
    SUDO=()
    if [[ $(id -u) -ne 0 ]]; then
        if command -v sudo >/dev/null 2>&1; then
            SUDO=(sudo -n)
        else
            log "not root and no sudo: install these packages yourself: ${missing[*]}" >&2
            exit 1
        fi
    fi
    # pgratchet runs its own throwaway clusters; don't let the Debian package create and
    # start a system-wide "main" cluster on port 5432 as a side effect.
    if ! is_installed postgresql-15; then
        "${SUDO[@]}" mkdir -p /etc/postgresql-common/createcluster.d
        echo 'create_main_cluster = false' |
            "${SUDO[@]}" tee /etc/postgresql-common/createcluster.d/pgratchet.conf >/dev/null
    fi
    export DEBIAN_FRONTEND=noninteractive
    "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq </dev/null
    "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
        --no-install-recommends "${missing[@]}" </dev/null
else
    log "apt packages present"
fi

# --- Python virtualenv -------------------------------------------------------------------
VENV="$ROOT/.venv"
STAMP="$VENV/.pgratchet-setup-stamp"
PYPROJECT="$ROOT/python_client/pyproject.toml"

# Debian's python3 is the one python3-venv belongs to; fall back to whatever python3 is on
# PATH on other systems. PYTHON=... overrides both.
if [[ -z ${PYTHON:-} ]]; then
    if [[ -x /usr/bin/python3 ]]; then PYTHON=/usr/bin/python3; else PYTHON=python3; fi
fi

if [[ ! -x $VENV/bin/python ]] || ! "$VENV/bin/python" -c 'import sys' >/dev/null 2>&1; then
    log "creating virtualenv $VENV"
    rm -rf "$VENV"
    "$PYTHON" -m venv "$VENV"
fi

if [[ ! -f $PYPROJECT ]]; then
    log "python_client/pyproject.toml not found yet: skipping pip install" >&2
    exit 0
fi

reason=
if [[ ! -f $STAMP ]]; then
    reason="new virtualenv"
elif [[ $PYPROJECT -nt $STAMP ]]; then
    reason="python_client/pyproject.toml changed"
elif ! "$VENV/bin/python" -c 'import pgratchet; assert pgratchet.__file__' >/dev/null 2>&1; then
    # An editable install made while the package was incomplete maps pgratchet to a
    # namespace package (no __init__.py then): rebuild it.
    reason="pgratchet does not import as a package"
fi

if [[ -n $reason ]]; then
    log "pip install -e python_client[dev] ($reason)"
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
        -e "$ROOT/python_client[dev]" </dev/null
    touch "$STAMP"
else
    log "virtualenv up to date"
fi
