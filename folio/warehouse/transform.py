"""The dbt stages of ``folio_nightly``: source freshness, one ``dbt build``, the docs.

dbt runs in the task's process (``dbtRunner``): one parse and one build for the whole
project, not one process per model. Each node's result is logged as it finishes (the
Airflow task log shows every model and test) and recorded in the run ledger
(``dbt_results``: one row per node and invocation). The run's data interval reaches the
models as the vars ``interval_start`` / ``interval_end`` (and ``events_lookback_days``).
"""

from __future__ import annotations

import logging
import os
from contextlib import contextmanager
from typing import Any

from folio.config import Settings
from folio.core import duck, ledger, ledger_export
from folio.core.errors import FolioError, QualityGateError
from folio.core.results import StageResult
from folio.core.window import Window
from folio.ml import registry

log = logging.getLogger("folio.dbt")


@contextmanager
def dbt_env(settings: Settings):
    """The environment the dbt project reads (FOLIO_HOME, the PII salt, dbt's own dirs)."""
    values = {
        "FOLIO_HOME": str(settings.home),
        "FOLIO_PII_SALT": settings.pii_salt,
        "FOLIO_DUCKDB_MEMORY_LIMIT": settings.duckdb_memory_limit,
        "FOLIO_LAKE": str(settings.lake),
        # the lake on object storage: the target that registers its filesystem with DuckDB
        "FOLIO_DBT_TARGET": "build_s3" if settings.lake_is_remote else "build",
        "DBT_TARGET_PATH": str(settings.paths.dbt_target),
        "DBT_LOG_PATH": str(settings.paths.dbt_logs),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "DBT_PROFILES_DIR": str(settings.dbt_project),
        "DBT_PROJECT_DIR": str(settings.dbt_project),
    }
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield values
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _vars(settings: Settings, window: Window) -> str:
    import json

    return json.dumps(
        {
            "interval_start": str(window.start),
            "interval_end": str(window.end),
            "events_lookback_days": settings.events_lookback_days,
        }
    )


def _on_event(event: Any) -> None:
    """Log each node as dbt finishes it (what the Airflow task log shows per model)."""
    if event.info.name == "NodeFinished":
        r = event.data.run_result
        log.info(
            "dbt %s %s in %.2f s%s",
            r.status,
            event.data.node_info.unique_id,
            r.execution_time,
            f": {r.message}" if r.status in ("error", "fail", "warn") and r.message else "",
        )


def run_dbt(settings: Settings, args: list[str], window: Window | None = None) -> Any:
    """Invoke dbt in-process with the project's environment; its result object."""
    from dbt.cli.main import dbtRunner

    settings.warehouse.mkdir(parents=True, exist_ok=True)
    if settings.lake_is_remote:  # listings cached before Spark wrote the lake: dropped
        settings.lake.fs.invalidate_cache()  # type: ignore[attr-defined]
    with dbt_env(settings):
        argv = [*args]
        if window is not None:
            argv += ["--vars", _vars(settings, window)]
        try:
            return dbtRunner(callbacks=[_on_event]).invoke(argv)
        finally:
            # dbt-duckdb keeps the file open after invoke: release it for whoever is next
            from dbt.adapters.duckdb.connections import DuckDBConnectionManager

            DuckDBConnectionManager.close_all_connections()


def node_results(result: Any) -> list[dict[str, Any]]:
    rows = []
    for r in getattr(result, "results", None) or []:
        rows.append(
            {
                "unique_id": r.node.unique_id,
                "resource_type": str(r.node.resource_type),
                "status": str(r.status),
                "seconds": round(r.execution_time or 0.0, 3),
                "rows_affected": (getattr(r, "adapter_response", None) or {}).get("rows_affected"),
                "failures": getattr(r, "failures", None),
                "message": (getattr(r, "message", None) or "")[:2000] or None,
            }
        )
    return rows


# dbt statuses as quality results: a failed test of severity warn reports "warn"
_QUALITY_STATUS = {"pass": "pass", "fail": "fail", "warn": "fail", "error": "error"}


def quality_results(result: Any) -> list[dict[str, Any]]:
    """The tests (and freshness checks) of a dbt invocation as quality-ledger rows."""
    import datetime as dt

    rows = []
    for r in getattr(result, "results", None) or []:
        node, status = r.node, str(r.status)
        observed = None
        kind = str(node.resource_type)
        if kind in ("test", "unit_test"):
            attached = getattr(node, "attached_node", None) or getattr(node, "model", None)
            suite = str(attached or "singular").split(".")[-1]
            severity = str(getattr(node.config, "severity", "error") or "error").lower()
            asset, check = suite, node.name
        elif kind == "source":
            suite, asset, check = "source_freshness", f"{node.source_name}.{node.name}", "freshness"
            severity = "warning" if status == "warn" else "error"
            status = {"pass": "pass", "warn": "fail", "error": "fail"}.get(status, "error")
            loaded = getattr(r, "max_loaded_at", None)
            if loaded is not None:  # the newest load, naive UTC (what the ops mart reads)
                if loaded.tzinfo is not None:
                    loaded = loaded.astimezone(dt.UTC).replace(tzinfo=None)
                observed = loaded.isoformat(sep=" ")
        else:
            continue
        rows.append(
            {
                "tool": "dbt",
                "suite": suite,
                "asset": asset,
                "check_name": check,
                "severity": "warning" if severity in ("warn", "warning") else "critical",
                "status": _QUALITY_STATUS.get(status, status),
                "observed": observed,
                "unexpected_count": getattr(r, "failures", None),
                "message": (getattr(r, "message", None) or "")[:2000] or None,
            }
        )
    return rows


def _record(settings: Settings, run_id: str, result: Any, stage: str) -> list[dict[str, Any]]:
    """The nodes of the invocation just finished, into the ledger (tests also as quality)."""
    from dbt_common.invocation import get_invocation_id

    rows = node_results(result)
    ledger.record_dbt_results(settings.ledger_path, run_id, get_invocation_id(), rows)
    ledger.record_quality(settings.ledger_path, run_id, stage, quality_results(result))
    return rows


# the ops marts read the run ledger: they build after the gates (build_ops_marts); the
# churn-score marts read the scorer's output: they build after it (build_ml_marts)
OPS = "tag:ops"
SCORES = "tag:scores"


def build_marts(settings: Settings, window: Window, run_id: str) -> StageResult:
    """``dbt build`` for the window; a failed model or test fails the stage naming it."""
    return _build(settings, window, run_id, "build_marts", ["--exclude", OPS, SCORES])


def build_ml_marts(settings: Settings, window: Window, run_id: str) -> StageResult:
    """The churn-score marts (``fct_churn_scores``, ``at_risk_accounts``, the registry's
    ``ml_model_versions``) after scoring; the registry is exported to the lake first."""

    exported = registry.export_to_lake(settings)
    result = _build(settings, window, run_id, "build_ml_marts", ["--select", SCORES])
    result.details["model_rows"] = exported
    return result


def build_ops_marts(settings: Settings, window: Window, run_id: str) -> StageResult:
    """The ops marts (runs, quality, freshness) from the run ledger, just before publishing.

    The ledger (SQLite under FOLIO_HOME/ops) is exported whole to ``lake/ops`` as Parquet,
    then ``dbt build --select tag:ops``: the publication carries this run's quality results
    up to its mart gate.
    """
    exported = ledger_export.export_to_lake(settings.ledger_path, settings.lake / "ops")
    result = _build(settings, window, run_id, "build_ops_marts", ["--select", OPS])
    result.details["exported"] = exported
    return result


def _build(
    settings: Settings, window: Window, run_id: str, stage: str, select: list[str]
) -> StageResult:
    res = run_dbt(settings, ["build", *select], window)
    if res.exception is not None:
        raise FolioError(f"dbt build did not run: {res.exception}")
    rows = _record(settings, run_id, res.result, stage)
    failed = [r for r in rows if r["status"] in ("error", "fail")]
    offending = _stored_failures(settings, res.result, {r["unique_id"] for r in failed})
    counts: dict[str, int] = {}
    for r in rows:
        counts[r["status"]] = counts.get(r["status"], 0) + 1
    details = {
        "nodes": len(rows),
        "status": counts,
        "models": sum(1 for r in rows if r["resource_type"] == "model"),
        "tests": sum(1 for r in rows if r["resource_type"] in ("test", "unit_test")),
        "failed": [f"{r['unique_id']}: {r['message']}" for r in failed][:20],
    }
    if failed or not res.success:
        names = ", ".join(r["unique_id"] for r in failed) or "see the dbt log"
        shown = "".join(f"\n  {uid}: {rows_}" for uid, rows_ in offending.items())
        # only failed tests: the data is wrong, a retry cannot help (no retries in Airflow)
        tests_only = failed and all(r["status"] == "fail" for r in failed)
        raise (QualityGateError if tests_only else FolioError)(
            f"dbt build failed: {len(failed)} node(s) failed: {names}{shown}"
        )
    details["mart_rows"] = mart_rows(settings)
    return StageResult(rows=sum(details["mart_rows"].values()), details=details)


def source_freshness(settings: Settings, window: Window, run_id: str) -> StageResult:
    """``dbt source freshness`` after the loads: status per source, recorded.

    Freshness is measured against now, so it is checked only when the window ends
    yesterday or later (a nightly run); a backfill of older days skips it. A source stale
    beyond its error threshold fails the stage (and so the run) naming it.
    """
    import datetime as dt

    if window.end < dt.datetime.now(dt.UTC).date() - dt.timedelta(days=1):
        return StageResult(
            rows=0, details={"skipped": f"window ends {window.end}: a backfill, not checked"}
        )
    res = run_dbt(settings, ["source", "freshness"], window)
    if res.exception is not None:
        raise FolioError(f"dbt source freshness did not run: {res.exception}")
    rows = _record(settings, run_id, res.result, "source_freshness")
    stale = [r["unique_id"] for r in rows if r["status"] in ("error", "runtime error")]
    if stale:
        raise FolioError(
            f"sources are stale beyond their error threshold: {', '.join(stale)}"
            " (freshness in the source YAML of dbt_project)"
        )
    sources = [r for r in rows if r["resource_type"] == "source"]
    counts: dict[str, int] = {}
    for r in sources:
        counts[r["status"]] = counts.get(r["status"], 0) + 1
    return StageResult(
        rows=len(sources),
        details={**counts, "sources": {r["unique_id"]: r["status"] for r in sources}},
    )


def build_docs(settings: Settings, window: Window, run_id: str) -> StageResult:
    """``dbt docs generate`` on the build file (docs of every model, column and test)."""
    res = run_dbt(settings, ["docs", "generate"], window)
    if not res.success:
        raise FolioError(f"dbt docs generate failed: {res.exception or 'see the dbt log'}")
    site = publish_docs(settings)
    return StageResult(rows=len(res.result.nodes), details={"docs": str(site)})


DOCS_INDEX = """<!doctype html>
<html><head><meta charset="utf-8"><title>Folio docs</title></head>
<body style="font-family: sans-serif; max-width: 40em; margin: 3em auto">
<h1>Folio data platform: docs</h1>
<ul>
<li><a href="dbt/index.html">dbt docs</a>: every model, column, test and its lineage</li>
<li><a href="gx/index.html">Great Expectations Data Docs</a>: every validation of the
raw and mart suites</li>
</ul>
</body></html>
"""


def publish_docs(settings: Settings):
    """dbt's generated site into FOLIO_HOME/docs/dbt, beside GX's in docs/gx (`folio docs`).

    Each file is written under a temporary name and renamed, so a reader of the docs
    server never gets half a manifest.
    """
    import shutil

    target = settings.paths.dbt_target
    site = settings.paths.docs
    (site / "dbt").mkdir(parents=True, exist_ok=True)
    for name in ("index.html", "manifest.json", "catalog.json"):
        tmp = site / "dbt" / f".{name}.tmp"
        shutil.copyfile(target / name, tmp)
        os.replace(tmp, site / "dbt" / name)
    tmp = site / ".index.html.tmp"
    tmp.write_text(DOCS_INDEX)
    os.replace(tmp, site / "index.html")
    return site


def _stored_failures(settings: Settings, result: Any, failed: set[str]) -> dict[str, list]:
    """The first offending rows of failed tests that store their failures (the ids)."""
    import duckdb

    tables = {
        r.node.unique_id: r.node.relation_name
        for r in getattr(result, "results", None) or []
        if r.node.unique_id in failed and getattr(r.node, "relation_name", None)
    }
    if not tables:
        return {}
    out = {}
    with duck.connect(settings, settings.build_db, read_only=True) as con:
        for uid, relation in tables.items():
            try:
                out[uid] = con.execute(f"select * from {relation} limit 5").fetchall()
            except duckdb.Error:
                continue
    return out


def mart_rows(settings: Settings) -> dict[str, int]:
    """Rows per table of the build file's ``marts`` schema."""
    with duck.connect(settings, settings.build_db, read_only=True) as con:
        tables = [
            t
            for (t,) in con.execute(
                "select table_name from information_schema.tables "
                "where table_schema = 'marts' and table_type = 'BASE TABLE' order by 1"
            ).fetchall()
        ]
        return {
            t: con.execute(f'select count(*) from marts."{t}"').fetchall()[0][0] for t in tables
        }
