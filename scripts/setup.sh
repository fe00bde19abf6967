#!/usr/bin/env bash
# Idempotent set-up of Folio's two environments from the locked requirement sets.
#
#   .venv           the pipeline: Airflow, dbt, DuckDB, GX, PySpark, torch, the folio package
#   .venv-superset  Superset (SQLAlchemy 1.4 / pandas 2.1 cannot share the pipeline's venv)
#
# Each venv carries a stamp with the hash of its lock file (and of pyproject.toml for the
# pipeline); a second run with unchanged locks installs nothing and takes about a second.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
PY=${FOLIO_PYTHON:-python3}
what=${1:-all}          # all | pipeline | superset | tools

log() { printf '[setup] %s\n' "$*" >&2; }

fingerprint() { cat "$@" | sha256sum | cut -d' ' -f1; }

ensure_uv() {
    if [ ! -x .venv-tools/bin/uv ] || [ "$(cat .venv-tools/.stamp 2>/dev/null)" != "$(fingerprint requirements/bootstrap.txt)" ]; then
        log "installing the installer (uv) into .venv-tools"
        rm -rf .venv-tools
        "$PY" -m venv .venv-tools
        .venv-tools/bin/pip install -q -r requirements/bootstrap.txt
        fingerprint requirements/bootstrap.txt > .venv-tools/.stamp
    fi
}

# uv does not read pip's configuration: hand it the machine's local wheel folder (torch CPU).
uv_sync() {   # venv lockfile
    local venv=$1 lock=$2
    local args=(--python "$venv/bin/python" --index-strategy unsafe-best-match)
    local fl
    for fl in ${PIP_FIND_LINKS:-}; do [ -e "$fl" ] && args+=(--find-links "$fl"); done
    UV_CACHE_DIR=${UV_CACHE_DIR:-$HOME/.cache/uv} .venv-tools/bin/uv pip sync -q "${args[@]}" "$lock"
}

setup_venv() {   # venv lockfile [extra files in the fingerprint...]
    local venv=$1 lock=$2; shift 2
    local want; want=$(fingerprint "$lock" "$@")
    if [ -x "$venv/bin/python" ] && [ "$(cat "$venv/.stamp" 2>/dev/null)" = "$want" ]; then
        return 0
    fi
    ensure_uv
    local t0=$SECONDS
    log "building $venv from $lock (first time: a few minutes)"
    [ -x "$venv/bin/python" ] || "$PY" -m venv "$venv"
    uv_sync "$venv" "$lock"
    if [ "$venv" = .venv ]; then
        .venv-tools/bin/uv pip install -q --python .venv/bin/python --no-deps -e .
    fi
    echo "$want" > "$venv/.stamp"
    log "$venv ready in $((SECONDS - t0)) s"
}

case "$what" in
    tools) ensure_uv ;;
esac
case "$what" in
    all|pipeline) setup_venv .venv requirements/pipeline.txt pyproject.toml ;;
esac
case "$what" in
    all|superset) setup_venv .venv-superset requirements/superset.txt ;;
esac
