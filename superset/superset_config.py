"""Superset's configuration for Folio (loaded through SUPERSET_CONFIG_PATH).

Read by every Superset process `folio superset init` and `folio up` start. Nothing secret
is in this file: the secret key comes from SUPERSET_SECRET_KEY, or from a file generated
once under FOLIO_HOME/superset (mode 600); the metadata database is SQLite under
FOLIO_HOME/superset by default, or FOLIO_SUPERSET_DB_URL (Postgres) when set.
"""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path

FOLIO_HOME = Path(os.environ.get("FOLIO_HOME", Path(__file__).resolve().parent.parent / "data"))
SUPERSET_HOME = FOLIO_HOME / "superset"
SUPERSET_HOME.mkdir(parents=True, exist_ok=True)
DATA_DIR = str(SUPERSET_HOME)


def _secret_key() -> str:
    """The environment's key, else the one generated on first use (mode 600, never rewritten)."""
    if os.environ.get("SUPERSET_SECRET_KEY"):
        return os.environ["SUPERSET_SECRET_KEY"]
    path = SUPERSET_HOME / "secret_key"
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as fh:
        fh.write(secrets.token_urlsafe(48) + "\n")
    return path.read_text().strip()


SECRET_KEY = _secret_key()
# set only while rotating the key (`superset re-encrypt-secrets`, see the README's runbook)
if os.environ.get("SUPERSET_PREVIOUS_SECRET_KEY"):
    PREVIOUS_SECRET_KEY = os.environ["SUPERSET_PREVIOUS_SECRET_KEY"]
# embedded-dashboard tokens are off (no GUEST role), but never leave the default secret
GUEST_TOKEN_JWT_SECRET = SECRET_KEY

SQLALCHEMY_DATABASE_URI = os.environ.get("FOLIO_SUPERSET_DB_URL") or (
    f"sqlite:///{SUPERSET_HOME / 'superset.db'}?check_same_thread=false"
)

# --- web security ---
DEBUG = False
FLASK_DEBUG = False
SHOW_STACKTRACE = False
WTF_CSRF_ENABLED = True
WTF_CSRF_TIME_LIMIT = int(timedelta(hours=8).total_seconds())
PERMANENT_SESSION_LIFETIME = timedelta(hours=8)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
# served on 127.0.0.1 without TLS; behind a TLS proxy set FOLIO_SUPERSET_SECURE_COOKIES=true
SESSION_COOKIE_SECURE = os.environ.get("FOLIO_SUPERSET_SECURE_COOKIES", "false") == "true"
AUTH_RATE_LIMITED = True
AUTH_RATE_LIMIT = "5 per second"
PUBLIC_ROLE_LIKE = None
# Superset's own Content-Security-Policy (TALISMAN_CONFIG's defaults: 'self' only, no https
# forced, so it works on the loopback address as well as behind a TLS proxy)
TALISMAN_ENABLED = True
PREVENT_UNSAFE_DB_CONNECTIONS = True

# --- the warehouse ---
# Superset opens the served DuckDB file read-only per query (see the database in the
# assets bundle); the marts are small, so no results cache: a publish shows at once.
CACHE_CONFIG = {"CACHE_TYPE": "NullCache"}
DATA_CACHE_CONFIG = {"CACHE_TYPE": "NullCache"}
ROW_LIMIT = 50000
SQL_MAX_ROW = 100000
SQLLAB_TIMEOUT = 60
SUPERSET_WEBSERVER_TIMEOUT = 60

FEATURE_FLAGS = {
    "DASHBOARD_NATIVE_FILTERS": True,
    "ENABLE_TEMPLATE_PROCESSING": False,
}

# Before the first publication the served file does not exist. Every connection to it
# (charts, SQL Lab, dataset metadata) then fails with this message and a 404, not with
# DuckDB's "Cannot open database ... does not exist" and a 500.
NO_DATA_YET = (
    "No data published yet: the nightly pipeline has not published the marts"
    " (run `make run`, or wait for tonight's run)."
)


def DB_CONNECTION_MUTATOR(uri, params, username, security_manager, source):
    if uri.drivername == "duckdb" and uri.database and not os.path.exists(uri.database):
        from superset.errors import ErrorLevel, SupersetError, SupersetErrorType
        from superset.exceptions import SupersetErrorException

        raise SupersetErrorException(
            SupersetError(
                message=NO_DATA_YET,
                error_type=SupersetErrorType.GENERIC_DB_ENGINE_ERROR,
                level=ErrorLevel.WARNING,
            ),
            status=404,
        )
    return uri, params


LOG_LEVEL = os.environ.get("FOLIO_LOG_LEVEL", "INFO")
