#!/usr/bin/env bash
# What `make check` runs after set-up: the fast tier to run while you work (under 3
# minutes): lint, then every test not marked `slow` (unit tests and the fast integration
# tests). `make test` runs the whole suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure_postgres.sh   # a few fast integration tests start a private PostgreSQL
export FOLIO_HOME=${FOLIO_TEST_HOME:-$(mktemp -d)/folio}   # tests never touch ./data
bash scripts/lint.sh
echo "[check] pytest (not slow)"
exec .venv/bin/python -m pytest -p no:cacheprovider -m "not slow" -n auto --dist loadfile "$@"
