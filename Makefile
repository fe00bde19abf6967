# Folio data platform. The two commands: `make run` (the nightly pipeline on embedded
# defaults) and `make test` (lint + the whole test suite). Both set up what they need.
# `make check` is the fast tier (lint + the tests not marked slow, under 3 minutes).
SHELL := /bin/bash
export FOLIO_HOME ?= $(CURDIR)/data
VENV := .venv
FOLIO := $(VENV)/bin/folio

.PHONY: setup run test check lint format bench bench-scale lock clean

setup:  ## build .venv and .venv-superset from the locked requirements (idempotent)
	@bash scripts/setup.sh

run: setup  ## simulate the default history, run folio_nightly over it through Airflow
	@$(FOLIO) simulate --reuse
	@$(FOLIO) run --history
	@$(FOLIO) status --limit 5

test: setup  ## ruff + pytest (slow end-to-end tests included)
	@bash scripts/test.sh

check: setup  ## the fast tier: ruff + sqlfluff + the tests not marked slow (under 3 min)
	@bash scripts/check.sh

lint: setup
	@bash scripts/lint.sh

format: setup
	@$(VENV)/bin/ruff format . && $(VENV)/bin/ruff check --fix .

bench: setup  ## benchmarks, each against a peer in the same run
	@bash scripts/ensure_postgres.sh
	@$(VENV)/bin/python bench/bench_simulator.py
	@$(VENV)/bin/python bench/bench_stripe_loader.py
	@$(VENV)/bin/python bench/bench_pg_extract.py
	@$(VENV)/bin/python bench/bench_sessionize.py
	@# these three measure the warehouse `make run` built under FOLIO_HOME
	@$(VENV)/bin/python bench/bench_dbt_stage.py
	@$(VENV)/bin/python bench/bench_dbt_incremental.py
	@$(VENV)/bin/python bench/bench_publish.py
	@$(VENV)/bin/python bench/bench_scoring.py
	@$(VENV)/bin/python bench/bench_superset.py

bench-scale: setup  ## the history run at 1x and 5x the default scale, per stage (~25 min)
	@$(VENV)/bin/python bench/bench_scale.py --factors 1 5

lock:  ## re-resolve requirements/*.txt from requirements/*.in
	@bash scripts/setup.sh tools
	@.venv-tools/bin/uv pip compile -q requirements/pipeline.in -o requirements/pipeline.txt \
	    --python-version 3.11 --find-links /opt/wheels --no-header
	@.venv-tools/bin/uv pip compile -q requirements/superset.in -o requirements/superset.txt \
	    --python-version 3.11 --no-header

clean:  ## remove generated data (FOLIO_HOME), keep the venvs
	rm -rf "$(FOLIO_HOME)"
