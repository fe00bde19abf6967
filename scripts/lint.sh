#!/usr/bin/env bash
# ruff (lint and format) on the Python, sqlfluff on the dbt models and tests.
set -euo pipefail
cd "$(dirname "$0")/.."
echo "[lint] ruff"
.venv/bin/ruff check .
.venv/bin/ruff format --check .
echo "[lint] sqlfluff (dbt models and tests)"
(cd dbt_project && ../.venv/bin/sqlfluff lint models tests --disable-progress-bar)
