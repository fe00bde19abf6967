#!/usr/bin/env bash
# What `make test` runs after set-up: lint, then the whole suite (slow tests included).
set -euo pipefail
cd "$(dirname "$0")/.."
# The tests start a real PostgreSQL server on 127.0.0.1 (Debian's package); install it if missing.
if ! compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null; then
    if [ "$(id -u)" = 0 ]; then
        echo "[test] installing Debian's postgresql (the tests run a real server on 127.0.0.1)"
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
        # the package starts a cluster of its own; the tests use private servers only
        pg_ctlcluster --mode fast "$(ls /etc/postgresql | tail -1)" main stop 2>/dev/null || true
    else
        echo "[test] PostgreSQL server binaries missing: sudo apt-get install postgresql" >&2
        exit 1
    fi
fi
export FOLIO_HOME=${FOLIO_TEST_HOME:-$(mktemp -d)/folio}   # tests never touch ./data
echo "[test] ruff"
.venv/bin/ruff check .
.venv/bin/ruff format --check .
echo "[test] pytest"
exec .venv/bin/python -m pytest -p no:cacheprovider "$@"
