#!/usr/bin/env bash
# Runs once, on the first start of the compose stack's Postgres (docker-entrypoint-initdb.d):
# one role and database each for Airflow's metadata, Superset's metadata and the stand-in app
# database. Passwords come from the environment (.env), never from this file.
set -euo pipefail
for spec in "airflow:${AIRFLOW_DB_PASSWORD}" "superset:${SUPERSET_DB_PASSWORD}" "folio_app:${APP_DB_PASSWORD}"; do
    name=${spec%%:*}
    password=${spec#*:}
    psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
        --set=name="$name" --set=password="$password" <<'SQL'
CREATE ROLE :"name" LOGIN PASSWORD :'password';
CREATE DATABASE :"name" OWNER :"name";
SQL
done
