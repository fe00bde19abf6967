"""One typed settings object for the whole platform, read from ``FOLIO_*`` environment variables.

Every variable is documented in ``.env.example``. Secrets are only ever read from the
environment (or files under ``FOLIO_HOME`` that the platform generates itself), never
from committed files.
"""

from __future__ import annotations

import calendar
import datetime as dt
import os
import re
from functools import cached_property
from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from folio.core.errors import FolioError
from folio.core.paths import HomePaths

REPO_ROOT = Path(__file__).resolve().parent.parent


def yesterday_utc() -> dt.date:
    return dt.datetime.now(dt.UTC).date() - dt.timedelta(days=1)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="FOLIO_", extra="ignore", env_ignore_empty=True)

    home: Path = Field(
        default=REPO_ROOT / "data",
        description="Root of all generated data: landing zone, lake, warehouse, tool homes.",
    )
    app_db_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL of the app database; default: SQLite at landing/app.db.",
    )
    seed: int = Field(default=42, description="Seed of the source simulator.")
    sim_accounts: int = Field(
        default=2000, ge=1, description="Simulator scale: accounts that sign up over the range."
    )
    sim_months: int = Field(default=12, ge=1, le=120, description="Simulated months of history.")
    sim_end: dt.date | None = Field(
        default=None, description="Last simulated day (UTC); default yesterday."
    )
    sim_traffic: float = Field(
        default=1.0, gt=0, description="Multiplier on portfolio-visitor traffic (the heavy volume)."
    )
    defect_rate: float = Field(
        default=1.0,
        ge=0,
        le=20,
        description="Multiplier on every simulated defect rate (0 = clean sources).",
    )
    app_db_conn_id: str | None = Field(
        default=None,
        description="Airflow connection id of the app database; overrides FOLIO_APP_DB_URL.",
    )
    extract_overlap_minutes: int = Field(
        default=120,
        ge=0,
        description="App-DB extract re-reads this much before its cursor, for late commits.",
    )
    key_check_weekday: int = Field(
        default=6,
        ge=-1,
        le=6,
        description="Weekday (0=Mon..6=Sun; -1 every run) of the app-DB key comparison.",
    )
    optional_sources: str = Field(
        default="",
        description="Comma-separated sources that may skip a day (e.g. 'stripe'): loaded empty.",
    )
    spark_master: str = Field(
        default="local[*]",
        description="Spark master URL: local[*], or a cluster (spark://host:7077, yarn, k8s://...).",
    )
    spark_driver_memory: str = Field(
        default="2g", description="Memory of the Spark driver (the job's process), e.g. 2g."
    )
    spark_max_records_per_file: int = Field(
        default=5_000_000,
        ge=0,
        description="Rows per Parquet file the Spark job writes: a lake day partition is one "
        "file until it has more rows than this (0: no limit).",
    )
    events_lookback_days: int = Field(
        default=3,
        ge=0,
        le=30,
        description="A run for day D reprocesses D-lookback..D (late events, duplicates).",
    )
    session_gap_minutes: int = Field(
        default=30, ge=1, description="Inactivity that ends a session, in minutes."
    )
    bot_pages_per_minute: int = Field(
        default=30,
        ge=2,
        description="A visitor with this many page views within one minute is a bot.",
    )
    airflow_db_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL of Airflow's metadata DB; default SQLite under airflow/.",
    )
    retry_delay_seconds: int = Field(
        default=60, ge=1, description="First retry delay of every DAG task (doubles per retry)."
    )
    log_level: str = Field(default="INFO", description="Log level of folio's own loggers.")
    keep_snapshots: int = Field(
        default=7, ge=1, description="Published snapshots kept in warehouse/snapshots."
    )
    pii_salt: str = Field(
        default="folio-dev-salt",
        description="Salt of the SHA-256 hashes that replace emails and user ids in the marts.",
    )

    alert_webhook_url: str | None = Field(
        default=None,
        description="Slack-compatible webhook that gets failed tasks and quality warnings.",
    )
    superset_db_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL of Superset's metadata DB; default SQLite under superset/.",
    )
    superset_port: int = Field(
        default=8088, ge=1024, le=65535, description="Port of Superset on 127.0.0.1."
    )
    churn_drift_psi: float = Field(
        default=0.25,
        gt=0,
        description="Population stability index of a churn feature that retrains the model early.",
    )
    force_cpu: bool = Field(
        default=False, description="Score the churn model on the CPU even when a CUDA GPU is seen."
    )
    lake_url: str | None = Field(
        default=None,
        description="The lake on object storage, s3://bucket/prefix (credentials and endpoint "
        "from the AWS_* variables); default: FOLIO_HOME/lake on the local filesystem.",
    )
    duckdb_memory_limit: str = Field(
        default="80%",
        description="Memory each DuckDB connection of the pipeline (dbt, the quality checks, "
        "the extract, publishing) may use before it spills to disk: '8GB', '6GiB' or a share "
        "of RAM, '50%' (DuckDB's own default is 80%).",
    )

    @field_validator("duckdb_memory_limit")
    @classmethod
    def _memory_limit(cls, v: str) -> str:
        if not re.fullmatch(r"\s*\d+(\.\d+)?\s*(%|[kmgt]i?b|b|bytes)\s*", v, re.IGNORECASE):
            raise ValueError(f"{v!r} is not an amount of memory: give e.g. '8GB', '6GiB' or '50%'")
        return v.strip()

    @field_validator("lake_url")
    @classmethod
    def _lake_url(cls, v: str | None) -> str | None:
        if v is None:
            return None
        if not re.fullmatch(r"s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](/[^?#]*)?", v.strip()):
            raise ValueError(
                f"{v!r} is not an object-storage URL the lake supports: give s3://bucket/prefix"
                " (a local lake needs no setting: it is FOLIO_HOME/lake)"
            )
        return v.strip().rstrip("/")

    @property
    def duckdb_config(self) -> dict[str, str]:
        """The configuration every DuckDB connection of the pipeline opens with."""
        return {"memory_limit": self.duckdb_memory_limit}

    @field_validator("home", mode="before")
    @classmethod
    def _absolute_home(cls, v: object) -> Path:
        return Path(os.path.expanduser(str(v))).resolve()

    # --- derived paths (not settings of their own) ---
    @cached_property
    def paths(self) -> HomePaths:
        """Every path under FOLIO_HOME."""
        return HomePaths(self.home)

    @property
    def landing(self) -> Path:
        return self.paths.landing

    @cached_property
    def lake(self) -> Path:
        """The lake's root: a local ``Path``, or a ``UPath`` on object storage (FOLIO_LAKE_URL).

        Both speak pathlib (``/``, ``glob``, ``exists``, ``open``); ``str()`` of a remote one is
        its URL, which DuckDB (through :meth:`lake_filesystem`) and Spark (``s3a``) both read.
        """
        if self.lake_url:
            from upath import UPath

            return UPath(self.lake_url)  # type: ignore[return-value]
        return self.paths.local_lake

    @property
    def lake_is_remote(self) -> bool:
        return self.lake_url is not None

    def lake_filesystem(self):  # -> fsspec.AbstractFileSystem | None
        """The lake's fsspec filesystem when it is remote (DuckDB registers it); None if local.

        fsspec shares one instance per process (dbt's ``fs: s3`` too). Its listings are
        cached, so the reads after a glob need no request per file for its size (without
        that cache: 15x slower reads); listings are dropped before the lake is listed
        (``lake.files``) and before dbt runs, since Spark writes it behind s3fs's back.
        """
        return self.lake.fs if self.lake_is_remote else None  # type: ignore[attr-defined]

    @property
    def warehouse(self) -> Path:
        return self.paths.warehouse

    @property
    def ops(self) -> Path:
        return self.paths.ops

    @property
    def airflow_home(self) -> Path:
        return self.paths.airflow

    @property
    def app_db(self) -> str:
        return self.app_db_url or f"sqlite:///{self.landing / 'app.db'}"

    @property
    def airflow_db(self) -> str:
        return self.airflow_db_url or f"sqlite:///{self.airflow_home / 'airflow.db'}"

    def is_optional(self, source: str) -> bool:
        return source in {s.strip() for s in self.optional_sources.split(",") if s.strip()}

    @property
    def dbt_project(self) -> Path:
        """The dbt project shipped with the code (not data: it lives beside the package)."""
        return REPO_ROOT / "dbt_project"

    @property
    def build_db(self) -> Path:
        """dbt's target: the only writable warehouse file."""
        return self.paths.build_db

    @property
    def ledger_path(self) -> Path:
        return self.paths.ledger

    def sim_range(self) -> tuple[dt.date, dt.date]:
        """The default simulated range: ``sim_months`` months ending ``sim_end`` (inclusive)."""
        end = self.sim_end or yesterday_utc()
        after = end + dt.timedelta(days=1)
        months = after.year * 12 + after.month - 1 - self.sim_months
        y, m = divmod(months, 12)
        m += 1
        start = dt.date(y, m, min(after.day, calendar.monthrange(y, m)[1]))
        return start, end

    def ensure_home(self) -> Path:
        """Create FOLIO_HOME (or fail with a clear message if it cannot be written)."""
        try:
            self.home.mkdir(parents=True, exist_ok=True)
            probe = self.home / ".write-probe"
            probe.write_text("ok")
            probe.unlink()
        except OSError as exc:
            raise FolioError(f"FOLIO_HOME {self.home} is not writable: {exc.strerror}") from None
        return self.home


def get_settings() -> Settings:
    return Settings()
