# pgratchet: PGXS build of the extension, plus the project's developer targets.
#
#   make setup     apt packages (when missing) + .venv with the Python client  (scripts/setup.sh)
#   make build     sql/ -> extension/pgratchet--$(EXTVERSION).sql, pgratchet.plain.sql and the upgrade
#                  scripts to $(EXTVERSION) (see scripts/build.sh); released scripts stay frozen
#   make verify    fail if a committed generated script in extension/ is stale (make build)
#   make install   install control file + versioned script into PostgreSQL (PGXS)
#   make demo      setup, build, install, then run examples/demo.py
#   make test      setup, verify, build, install, then lint + pgTAP (+ packaging checks) +
#                  upgrade-check + isolation (deterministic concurrency specs) + pytest
#   make upgrade-check   the last release upgraded with live work must equal a fresh install
#                  and pass the pgTAP suite (scripts/upgrade_check.sh)
#   make pgtap | upgrade-check | isolation | pytest | lint   one suite (after setup/build/install)
#                  (lint = sqlfluff, ruff, mypy --strict on the client, shellcheck)
#   make fmt       ruff format + ruff check --fix on the Python code
#   make clean     remove caches and scratch files (keeps .venv; distclean removes it too)

PG_CONFIG ?= /usr/lib/postgresql/15/bin/pg_config
export PG_CONFIG

EXTENSION  = pgratchet
EXTVERSION = $(shell sed -n "s/^default_version[[:space:]]*=[[:space:]]*'\([^']*\)'.*/\1/p" pgratchet.control)
# Every versioned script: the current install script, frozen released ones, and the upgrades.
DATA       = $(sort $(wildcard extension/pgratchet--*.sql) extension/pgratchet--$(EXTVERSION).sql)
EXTRA_CLEAN = .pytest_cache .ruff_cache .mypy_cache tests/__pycache__ bench/__pycache__ examples/__pycache__

VENV        = .venv
VENV_PYTHON = $(VENV)/bin/python
PYTEST_ARGS ?=
PY_DIRS     = $(wildcard python_client tests bench examples)
RUFF_CONFIG = $(if $(shell grep -s '^\[tool\.ruff' python_client/pyproject.toml),--config python_client/pyproject.toml)

# PGXS comes with postgresql-server-dev-15, which `make setup` installs. Without it, only the
# non-PGXS targets work (so that `make setup` can run on a fresh machine).
PGXS := $(shell $(PG_CONFIG) --pgxs 2>/dev/null)
ifneq ($(wildcard $(PGXS)),)
include $(PGXS)
else
install:
	@echo "PGXS not found via $(PG_CONFIG): run 'make setup' first" >&2; exit 1
clean:
	rm -rf $(EXTRA_CLEAN)
endif

.DEFAULT_GOAL := build

.PHONY: setup build verify demo test pgtap upgrade-check isolation pytest lint fmt distclean

setup:
	@scripts/setup.sh

build:
	@scripts/build.sh

verify:
	@scripts/verify_generated.sh

# PGXS's `install` copies $(DATA); make sure it is fresh first.
all install: build

# `test` and `demo` call make again for each stage, so that a machine on which `make setup`
# has just installed PostgreSQL's PGXS re-reads this Makefile with it.
demo:
	@$(MAKE) --no-print-directory setup
	@$(MAKE) --no-print-directory build
	@$(MAKE) --no-print-directory install
	$(VENV_PYTHON) examples/demo.py

test:
	@$(MAKE) --no-print-directory setup
	@$(MAKE) --no-print-directory verify
	@$(MAKE) --no-print-directory build
	@$(MAKE) --no-print-directory install
	@PYTEST_ARGS="$(PYTEST_ARGS)" scripts/test_all.sh

pgtap:
	@scripts/run_pgtap.sh

upgrade-check:
	@scripts/upgrade_check.sh

isolation:
	@scripts/run_isolation.sh

pytest:
	$(VENV)/bin/pytest tests -q -ra $(PYTEST_ARGS)

lint:
	@scripts/lint.sh

fmt:
	$(if $(PY_DIRS),$(VENV)/bin/ruff format $(RUFF_CONFIG) $(PY_DIRS))
	$(if $(PY_DIRS),$(VENV)/bin/ruff check --fix $(RUFF_CONFIG) $(PY_DIRS))

distclean: clean
	rm -rf $(VENV)
	find . -name __pycache__ -type d -prune -not -path './.git/*' -exec rm -rf {} +

# ---------------------------------------------------------------------------------------------
# Targets appended by other owners go below (bench: the benchmark engineer's block).

# --- bench: the benchmark engineer's block ---------------------------------------------------
#   make bench         full benchmark (< 40 min): throwaway cluster, pgbench, W1..W7, pgratchet vs
#                      PgQueuer, Procrastinate, DBOS and vs the released 0.1.0 engine; writes
#                      bench/results/latest.json and docs/benchmarks.md. Knobs: BENCH_W4_SECONDS,
#                      BENCH_REPS, ... (bench/run.py)
#   make bench-smoke   every workload at tiny sizes (< 2 min): proves the harness still runs
#   make soak          pgratchet's W4 for BENCH_SOAK_SECONDS (3600) at 50% of the client worker's
#                      capacity: size and throughput per minute (bench/results/soak.md)
# The bench applies this tree's plain script (extension/pgratchet.plain.sql) to each database,
# so it needs `make build`, not `make install`.
# PGXS redefines PYTHON as the system python3, so this block names the venv python itself.
BENCH_PEERS_VENV = bench/.venv-peers

.PHONY: bench bench-smoke bench-peers soak

$(BENCH_PEERS_VENV)/.installed: bench/requirements-peers.txt
	python3 -m venv $(BENCH_PEERS_VENV)
	$(BENCH_PEERS_VENV)/bin/pip install -q -r bench/requirements-peers.txt
	touch $@

bench-peers: $(BENCH_PEERS_VENV)/.installed

bench bench-smoke:
	@$(MAKE) --no-print-directory setup
	@$(MAKE) --no-print-directory build
	@$(MAKE) --no-print-directory bench-peers
	$(VENV)/bin/python bench/run.py $(if $(filter bench-smoke,$@),--smoke)

soak:
	@$(MAKE) --no-print-directory setup
	@$(MAKE) --no-print-directory build
	$(VENV)/bin/python bench/run.py --soak
