#!/usr/bin/env bash
# What `make test` runs after set-up: lint, then the whole suite (slow tests included).
set -euo pipefail
cd "$(dirname "$0")/.."
# The tests start real PostgreSQL servers on 127.0.0.1 and render dashboards in headless
# Chromium (Debian packages); install them if missing.
bash scripts/ensure_postgres.sh
bash scripts/ensure_chromium.sh
export FOLIO_HOME=${FOLIO_TEST_HOME:-$(mktemp -d)/folio}   # tests never touch ./data
bash scripts/lint.sh
echo "[test] pytest (both cores)"
# one worker per core; a test module (or the modules sharing the simulated history, see
# tests/conftest.py) runs whole on one worker, in collection order: the end-to-end ones first
exec .venv/bin/python -m pytest -p no:cacheprovider -n auto --dist loadfile --no-loadscope-reorder "$@"
