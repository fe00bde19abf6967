"""The ledger's tables that the ops marts read, exported to the lake as typed Parquet.

dbt reads ``lake/ops/<table>/ledger.parquet`` (the ops sources); each export replaces the
whole file atomically, so dbt never reads half of one.
"""

from __future__ import annotations

import datetime as dt
from contextlib import closing
from pathlib import Path
from typing import Any

from folio.core import lake
from folio.core.ledger import connect


# the ledger tables the ops marts read, as typed Parquet: (sql, arrow schema)
def _export_schemas() -> dict[str, tuple[str, Any]]:
    import pyarrow as pa

    ts = pa.timestamp("us")
    return {
        "task_runs": (
            "select run_id, dag_id, task_id, try_number, window_start, window_end, state,"
            " started_at, finished_at, seconds, rows, error from task_runs",
            pa.schema(
                [
                    ("run_id", pa.string()),
                    ("dag_id", pa.string()),
                    ("task_id", pa.string()),
                    ("try_number", pa.int64()),
                    ("window_start", pa.date32()),
                    ("window_end", pa.date32()),
                    ("state", pa.string()),
                    ("started_at", ts),
                    ("finished_at", ts),
                    ("seconds", pa.float64()),
                    ("rows_processed", pa.int64()),
                    ("error", pa.string()),
                ]
            ),
        ),
        "quality_results": (
            "select run_id, stage, tool, suite, asset, check_name, severity, status, observed,"
            " unexpected_count, message, recorded_at from quality_results",
            pa.schema(
                [
                    ("run_id", pa.string()),
                    ("stage", pa.string()),
                    ("tool", pa.string()),
                    ("suite", pa.string()),
                    ("asset", pa.string()),
                    ("check_name", pa.string()),
                    ("severity", pa.string()),
                    ("status", pa.string()),
                    ("observed", pa.string()),
                    ("unexpected_count", pa.int64()),
                    ("message", pa.string()),
                    ("recorded_at", ts),
                ]
            ),
        ),
    }


def _typed(value: Any, typ: Any) -> Any:
    """A ledger text value as the Parquet type: ISO dates and UTC times, 'None' as null."""
    import pyarrow as pa

    if value is None or value == "None":
        return None
    if pa.types.is_date(typ):
        return dt.date.fromisoformat(value)
    if pa.types.is_timestamp(typ):
        t = dt.datetime.fromisoformat(value)
        return t.astimezone(dt.UTC).replace(tzinfo=None) if t.tzinfo else t
    return value


def export_to_lake(path: Path, target: Path) -> dict[str, int]:
    """Each ledger table the ops marts read, whole, to ``target/<table>/ledger.parquet``.

    Replaced atomically (``lake.replace_file``): dbt never reads half a file.
    """
    import pyarrow as pa

    out = {}
    with closing(connect(path)) as conn:
        for table, (sql, schema) in _export_schemas().items():
            rows = conn.execute(sql).fetchall()
            cols = list(zip(*rows, strict=True)) if rows else [()] * len(schema)
            data = pa.table(
                [
                    pa.array([_typed(v, f.type) for v in col], type=f.type)
                    for col, f in zip(cols, schema, strict=True)
                ],
                schema=schema,
            )
            lake.replace_file(target / table / "ledger.parquet", data)
            out[table] = data.num_rows
    return out
