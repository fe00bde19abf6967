"""Every path the platform writes under FOLIO_HOME, named once.

The lake here is the local one (``FOLIO_HOME/lake``); ``Settings.lake`` answers with the
object-storage lake instead when FOLIO_LAKE_URL is set.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class HomePaths:
    home: Path

    # --- data: sources as delivered, the lake, the warehouse ---
    @property
    def landing(self) -> Path:
        """What the sources deliver: Stripe and Segment exports, the default SQLite app DB."""
        return self.home / "landing"

    @property
    def local_lake(self) -> Path:
        return self.home / "lake"

    @property
    def warehouse(self) -> Path:
        return self.home / "warehouse"

    @property
    def build_db(self) -> Path:
        """dbt's target: the only writable warehouse file."""
        return self.warehouse / "build.duckdb"

    @property
    def served_db(self) -> Path:
        """What Superset and `folio sql` read: a hard link to the current snapshot.

        Not ``marts.duckdb``: DuckDB names a database after its file, and a file named
        marts.duckdb with a schema marts makes every ``marts.<table>`` an "ambiguous
        reference to catalog or schema" error.
        """
        return self.warehouse / "folio.duckdb"

    @property
    def snapshots(self) -> Path:
        return self.warehouse / "snapshots"

    # --- the run's records ---
    @property
    def ops(self) -> Path:
        return self.home / "ops"

    @property
    def ledger(self) -> Path:
        return self.ops / "ledger.sqlite"

    @property
    def quality(self) -> Path:
        """Great Expectations' project and the gates' scratch files."""
        return self.home / "quality"

    @property
    def churn_models(self) -> Path:
        """The churn model registry: one folder per version."""
        return self.home / "models" / "churn"

    # --- the tools' homes ---
    @property
    def airflow(self) -> Path:
        return self.home / "airflow"

    @property
    def superset(self) -> Path:
        return self.home / "superset"

    @property
    def dbt_target(self) -> Path:
        return self.home / "dbt" / "target"

    @property
    def dbt_logs(self) -> Path:
        return self.home / "dbt" / "logs"

    @property
    def spark_tmp(self) -> Path:
        return self.home / "spark" / "tmp"

    @property
    def docs(self) -> Path:
        """The last run's dbt docs; GX's Data Docs in ``gx/`` below it (`folio docs`)."""
        return self.home / "docs"

    @property
    def gx_docs(self) -> Path:
        return self.docs / "gx"

    # --- the live platform (`folio up`) and command logs ---
    @property
    def run(self) -> Path:
        """Pid files of the services `folio up` started."""
        return self.home / "run"

    @property
    def logs(self) -> Path:
        return self.home / "logs"
