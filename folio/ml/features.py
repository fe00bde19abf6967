"""Churn features: read from the build file through Arrow, encoded by a saved feature spec.

The features are the ``marts.ml_churn_features`` mart (one row per paying account and
as-of date, every input cut at the as-of date); the labels are ``marts.ml_churn_labels``
(MRR to zero within 30 days after the as-of date, only where those 30 days are over). A
``FeatureSpec`` is fitted on the training rows and saved with the model: the columns, their
transforms, the standardisation and the category vocabularies. Scoring encodes with the
model's own spec, so a model never sees features it was not trained on.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from folio.core.errors import FolioError

KEY = ("account_id", "as_of_date")
# numeric features and how they are transformed before standardisation
NUMERIC: dict[str, str] = {
    "mrr": "log1p",
    "mrr_change_28d": "signed_log1p",
    "tenure_days": "log1p",
    "subscription_age_days": "log1p",
    "sessions_7d": "log1p",
    "sessions_28d": "log1p",
    "days_since_last_session": "log1p",
    "site_sessions_28d": "log1p",
    "images_total": "log1p",
    "images_28d": "log1p",
    "failed_charges_90d": "log1p",
    "is_past_due": "identity",
    "is_cancel_scheduled": "identity",
}
CATEGORICAL = ("billing_interval", "acquisition_channel", "country")
UNKNOWN = "<unknown>"


def _transform(values: np.ndarray, how: str) -> np.ndarray:
    if how == "log1p":
        return np.log1p(np.maximum(values, 0.0))
    if how == "signed_log1p":
        return np.sign(values) * np.log1p(np.abs(values))
    return values


@dataclass
class FeatureSpec:
    """What a model was trained on: columns, transforms, scaling, vocabularies."""

    numeric: dict[str, str] = field(default_factory=lambda: dict(NUMERIC))
    categorical: list[str] = field(default_factory=lambda: list(CATEGORICAL))
    mean: list[float] = field(default_factory=list)
    std: list[float] = field(default_factory=list)
    vocab: dict[str, list[str]] = field(default_factory=dict)

    @property
    def columns(self) -> list[str]:
        return [*self.numeric, *self.categorical]

    @property
    def names(self) -> list[str]:
        """Feature names in model input order (numeric, then categorical)."""
        return self.columns

    def _numeric(self, table: pa.Table) -> np.ndarray:
        cols = []
        for name, how in self.numeric.items():
            col = table.column(name).cast(pa.float64()).fill_null(0.0).to_numpy()
            cols.append(_transform(np.asarray(col, dtype=np.float64), how))
        return np.stack(cols, axis=1) if cols else np.zeros((table.num_rows, 0))

    def fit(self, table: pa.Table) -> FeatureSpec:
        x = self._numeric(table)
        self.mean = x.mean(axis=0).tolist()
        self.std = np.where(x.std(axis=0) > 1e-9, x.std(axis=0), 1.0).tolist()
        self.vocab = {
            c: sorted({v for v in table.column(c).to_pylist() if v is not None})
            for c in self.categorical
        }
        return self

    def encode(self, table: pa.Table) -> tuple[np.ndarray, np.ndarray]:
        """(numeric float32 [n, k], categorical int64 [n, c]); unknown categories -> 0."""
        x = (self._numeric(table) - np.asarray(self.mean)) / np.asarray(self.std)
        cats = []
        for c in self.categorical:
            index = {v: i + 1 for i, v in enumerate(self.vocab[c])}
            cats.append([index.get(v, 0) for v in table.column(c).to_pylist()])
        xc = np.asarray(cats, dtype=np.int64).T if cats else np.zeros((table.num_rows, 0), np.int64)
        return x.astype(np.float32), xc.reshape(table.num_rows, len(self.categorical))

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2)

    @classmethod
    def from_json(cls, text: str) -> FeatureSpec:
        return cls(**json.loads(text))


def check_columns(table: pa.Table, spec: FeatureSpec, model_version: str) -> None:
    """Every feature the model was trained on is in the table, or a clear error."""
    missing = [c for c in spec.columns if c not in table.column_names]
    if missing:
        raise FolioError(
            f"churn model {model_version} needs feature(s) {', '.join(missing)}, which"
            " marts.ml_churn_features does not have: nothing was scored"
        )


def read_features(build_db: Path, as_of: dt.date | None = None) -> pa.Table:
    """``marts.ml_churn_features`` (one as-of date, or all) as an Arrow table."""
    import duckdb

    with duckdb.connect(str(build_db), read_only=True) as con:
        sql = "select * from marts.ml_churn_features"
        params: list[Any] = []
        if as_of is not None:
            sql += " where as_of_date = ?"
            params = [as_of]
        return con.sql(sql + " order by as_of_date, account_id", params=params).to_arrow_table()


def read_training(build_db: Path) -> pa.Table:
    """Features joined with their labels: only as-of dates whose 30 days are over."""
    import duckdb

    with duckdb.connect(str(build_db), read_only=True) as con:
        return con.sql(
            "select f.*, l.churned_within_30d, l.label_date from marts.ml_churn_features f"
            " join marts.ml_churn_labels l using (account_id, as_of_date)"
            " order by f.as_of_date, f.account_id"
        ).to_arrow_table()


def check_point_in_time(table: pa.Table) -> None:
    """No input of a row was seen after its as-of date (the ``*_last_seen_at`` audit columns).

    ``ml_churn_features`` keeps, per row, the newest timestamp each input used; a value past
    the as-of date means a feature leaked the future, and training stops naming it.
    """
    import pyarrow.compute as pc

    as_of = table.column("as_of_date").cast(pa.timestamp("us"))
    end = pc.add(as_of, pa.scalar(dt.timedelta(days=1), pa.duration("us")))
    for name in table.column_names:
        if not name.endswith("_last_seen_at"):
            continue
        late = pc.sum(
            pc.fill_null(pc.greater_equal(table.column(name).cast(pa.timestamp("us")), end), False)
        )
        if late.as_py():
            raise FolioError(
                f"leakage: {late.as_py()} row(s) of ml_churn_features have {name} after their"
                " as-of date: a feature was computed with data from the future"
            )
