"""The quality gates of ``folio_nightly``: GX checkpoints on the lake and on the build file.

- ``validate_raw`` runs right after loading: checkpoint ``raw`` on the window's partitions
  of the lake tables (required fields, types, id uniqueness per partition, accepted values,
  row volume against bounds learned from the trailing days).
- ``validate_marts`` runs on the build file before publishing: checkpoint ``marts``
  (business rules; row counts against the currently served snapshot).

Every expectation's result goes to the quality ledger. A failed (or erroring) ``critical``
expectation fails the stage with a message naming each one, so the run fails and publish
never runs; a failed ``warning`` is recorded and logged as a warning.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import math
import statistics
from typing import Any

from folio.config import Settings
from folio.core import duck, lake, ledger
from folio.core.errors import FolioError, QualityGateError
from folio.core.results import StageResult
from folio.core.window import Window
from folio.quality.gx import CheckResult, run_checkpoint
from folio.quality.suites import Checkpoint, Validation, lake_tables, load_checkpoint
from folio.warehouse import publish

log = logging.getLogger("folio.quality")


def _sql_str(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


def _view_name(lake_path: str) -> str:
    return lake_path.replace("/", "__")


def _partition_rows(settings: Settings, lake_path: str) -> dict[dt.date, int]:
    """Rows per ``dt=`` partition of a lake table, from the Parquet footers."""
    root = settings.lake / lake_path
    files = lake.files(root)
    if not files:
        return {}
    with duck.connect(settings) as con:
        rows = con.execute(
            "select file_name, sum(row_group_num_rows) from"
            " (select distinct file_name, row_group_id, row_group_num_rows"
            "  from parquet_metadata(?)) group by 1",
            [[str(f) for f in files]],
        ).fetchall()
    out: dict[dt.date, int] = {}
    for name, n in rows:
        day = dt.date.fromisoformat(name.split("dt=")[-1].split("/")[0])
        out[day] = out.get(day, 0) + int(n)
    return out


def window_views(settings: Settings, window: Window, tables: list[str]) -> str:
    """A DuckDB file of views, one per lake table, over the window's partitions only.

    GX validates the views through SQLAlchemy (DuckDB computes every metric); a table with
    no partition in the window is a typed empty view (its columns from the source YAML).
    The file holds no data and is rewritten by every run; returns its connection string.
    """
    path = settings.paths.quality / "lake_window.duckdb"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    schema = lake_tables()
    days = {f"dt={d}" for d in window.days()}
    with duck.connect(settings, path) as con:
        for t in tables:
            files = [str(f) for f in lake.files(settings.lake / t) if f.parent.name in days]
            if files:
                body = (
                    f"select * from read_parquet([{', '.join(map(_sql_str, files))}],"
                    " hive_partitioning = true, union_by_name = true)"
                )
            else:
                cols = [f'cast(null as {typ}) as "{c}"' for c, typ in schema[t]]
                body = f"select {', '.join(cols)}, cast(null as date) as dt where false"
            con.execute(f'create view "{_view_name(t)}" as {body}')
        con.execute("checkpoint")
    return f"duckdb:///{path}"


def _bounds(exp: dict[str, Any], basis: float) -> dict[str, Any]:
    vol = exp["meta"]["volume"]
    out = {}
    for key, ratio, rnd in (("min_value", "min_ratio", math.floor), ("max_value", "max_ratio", math.ceil)):  # fmt: skip
        ref = exp["kwargs"].get(key)
        if isinstance(ref, dict) and "$PARAMETER" in ref:
            out[ref["$PARAMETER"]] = int(rnd(basis * vol[ratio]))
    return out


def _run_parameters(window: Window) -> dict[str, Any]:
    return {"interval_start": window.start.isoformat(), "interval_end": window.end.isoformat()}


def trailing_basis(
    rows: dict[dt.date, int], window: Window, days: int
) -> tuple[float | None, str | None]:
    """Expected rows for the window: the median daily rows of the ``days`` before it."""
    if not rows or min(rows) > window.start - dt.timedelta(days=days):
        have = (window.start - min(rows)).days if rows else 0
        return None, f"needs {days} trailing days of history, the lake has {max(have, 0)}"
    trail = [rows.get(window.start - dt.timedelta(days=i), 0) for i in range(1, days + 1)]
    return statistics.median(trail) * window.n_days, None


def _record(settings: Settings, run_id: str, stage: str, results: list[CheckResult]) -> None:
    ledger.record_quality(
        settings.ledger_path,
        run_id,
        stage,
        [
            {
                "tool": "gx",
                "suite": r.suite,
                "asset": r.table,
                "check_name": r.check,
                "severity": r.severity,
                "status": r.status,
                "observed": None if r.observed is None else str(r.observed),
                "unexpected_count": r.unexpected_count,
                # without sample values: they may be raw data, and the ops marts serve this
                "message": r.describe(samples=False),
                "sample": json.dumps(r.sample) if r.sample else None,
            }
            for r in results
        ],
    )


def _gate(stage: str, results: list[CheckResult]) -> StageResult:
    blocking = [r for r in results if r.severity == "critical" and r.status in ("fail", "error")]
    warned = [r for r in results if r.severity == "warning" and r.status in ("fail", "error")]
    for r in warned:
        log.warning("quality warning: %s", r.describe())
    counts: dict[str, int] = {}
    for r in results:
        counts[r.status] = counts.get(r.status, 0) + 1
    if blocking:
        lines = "".join(f"\n  {r.describe()}" for r in blocking)
        raise QualityGateError(
            f"quality gate {stage} failed: {len(blocking)} critical check(s) failed:{lines}"
        )
    return StageResult(
        rows=len(results),
        details={
            "checks": counts,
            "suites": len({r.suite for r in results}),
            "warnings": [r.describe() for r in warned][:20],
        },
    )


def validate_raw(settings: Settings, window: Window, run_id: str) -> StageResult:
    """Checkpoint ``raw`` on the window's lake partitions; critical failures fail the run."""
    cp = load_checkpoint("raw")
    tables = sorted({v.table for v in cp.validations})
    unknown = [t for t in tables if t not in lake_tables()]
    if unknown:
        raise FolioError(f"checkpoint raw names tables that are no lake source: {unknown}")
    conn = window_views(settings, window, tables)
    volumes: dict[str, dict[dt.date, int]] = {}

    def parameterize(v: Validation, exps: list[dict[str, Any]]):
        params, skipped = _run_parameters(window), {}
        for i, exp in enumerate(exps):
            vol = (exp.get("meta") or {}).get("volume")
            if not vol:
                continue
            if v.table not in volumes:
                volumes[v.table] = _partition_rows(settings, v.table)
            basis, why = trailing_basis(volumes[v.table], window, int(vol.get("days", 14)))
            if basis is None:
                skipped[i] = why
            else:
                params |= _bounds(exp, basis)
        return params, skipped

    results = run_checkpoint(
        settings, cp, conn, None, parameterize, run_id, lambda v: _view_name(v.table)
    )
    _record(settings, run_id, "validate_raw", results)
    return _gate("validate_raw", results)


def served_row_counts(settings: Settings) -> dict[str, int] | None:
    """Row counts per mart of the currently served snapshot (its meta.publication)."""

    pub = publish.current(settings)
    return None if pub is None else pub.row_counts


def validate_marts(settings: Settings, window: Window, run_id: str) -> StageResult:
    """Checkpoint ``marts`` on the build file, before publishing."""
    cp = load_checkpoint("marts")
    served = served_row_counts(settings)
    if not settings.build_db.exists():
        raise FolioError(f"no build file {settings.build_db}: build_marts has not run")

    def parameterize(v: Validation, exps: list[dict[str, Any]]):
        params, skipped = _run_parameters(window), {}
        name = v.table.split(".", 1)[1]
        for i, exp in enumerate(exps):
            vol = (exp.get("meta") or {}).get("volume")
            if not vol:
                continue
            if served is None:
                skipped[i] = "no snapshot is served yet"
            elif name not in served:
                skipped[i] = f"the served snapshot has no {name}"
            else:
                params |= _bounds(exp, served[name])
        return params, skipped

    with duck.connect(settings, settings.build_db, read_only=True) as con:
        present = {
            f"marts.{t}"
            for (t,) in con.execute(
                "select table_name from information_schema.tables where table_schema = 'marts'"
            ).fetchall()
        }
    missing = [v for v in cp.validations if v.table not in present]
    if missing:
        cp = Checkpoint(
            cp.name, cp.datasource, tuple(v for v in cp.validations if v.table in present), cp.path
        )
    results = [
        CheckResult(v.suite, v.table, "table exists", "table_exists", "critical", "error",
                    message="the build file has no such table")
        for v in missing
    ]  # fmt: skip
    results += run_checkpoint(
        settings,
        cp,
        f"duckdb:///{settings.build_db}",
        "marts",
        parameterize,
        run_id,
        lambda v: v.table.split(".", 1)[1],
    )
    _record(settings, run_id, "validate_marts", results)
    return _gate("validate_marts", results)
