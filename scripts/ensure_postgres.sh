#!/usr/bin/env bash
# Debian's PostgreSQL server binaries, installed when missing: the tests and the extract
# benchmark start private servers on 127.0.0.1 from them (never the package's own cluster).
set -euo pipefail
if compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null; then
    exit 0
fi
if [ "$(id -u)" != 0 ]; then
    echo "PostgreSQL server binaries missing: sudo apt-get install postgresql" >&2
    exit 1
fi
echo "[setup] installing Debian's postgresql (tests and benchmarks run private servers on 127.0.0.1)"
apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
# the package starts a cluster of its own; stop it
pg_ctlcluster --mode fast "$(ls /etc/postgresql | tail -1)" main stop 2>/dev/null || true
