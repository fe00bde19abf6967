"""What the Airflow tasks of ``folio_nightly`` call: one function per task.

Each wrapper resolves the run's window from the Airflow context, times the stage, and
writes the attempt to the run ledger (running -> success/failed). The DAG file stays
wiring only.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from typing import Any

from folio.config import Settings, get_settings
from folio.core import ledger
from folio.core.errors import FolioError, QualityGateError
from folio.core.results import StageResult
from folio.core.window import Window, from_interval
from folio.events import stage as events
from folio.ingest import app_db, preflight
from folio.ingest.stripe import load as stripe
from folio.ml import train
from folio.pipeline import alerts
from folio.quality import gates
from folio.warehouse import publish, transform

log = logging.getLogger("folio.pipeline")


Stage = Callable[[Settings, Window, str], StageResult]

# The stages of folio_nightly by task id. Every stage module imports its heavy libraries
# (PySpark, torch, dbt, Great Expectations) inside the functions that use them, so
# importing this registry stays cheap for each Airflow task process.
STAGES: dict[str, Stage] = {
    "check_sources": preflight.check_sources,
    "extract_app_db": app_db.extract_app_db,
    "load_stripe": stripe.load_stripe,
    "sessionize_events": events.sessionize_events,
    "validate_raw": gates.validate_raw,
    "source_freshness": transform.source_freshness,
    "build_marts": transform.build_marts,
    "train_churn": train.train_churn,
    "score_churn": train.score_churn,
    "build_ml_marts": transform.build_ml_marts,
    "validate_marts": gates.validate_marts,
    "build_ops_marts": transform.build_ops_marts,
    "build_docs": transform.build_docs,
    "publish": publish.publish_marts,
}


def context_window(context: Mapping[str, Any]) -> Window:
    conf = getattr(context.get("dag_run"), "conf", None) or {}
    start, end = context.get("data_interval_start"), context.get("data_interval_end")
    if (start is None or end is None) and not (conf.get("start") or conf.get("end")):
        raise FolioError(
            "this run has no data interval (triggered without a logical date) and no window"
            ' in its conf: trigger it with conf {"start": "YYYY-MM-DD", "end": "YYYY-MM-DD"}'
            " or with a logical date"
        )
    return from_interval(start, end, conf)


def run_stage(task_id: str, context: Mapping[str, Any]) -> dict[str, Any]:
    """Run the stage ``task_id`` for the run's window; its summary goes to XCom."""
    settings = get_settings()
    window = context_window(context)
    ti = context["ti"]
    run_id, try_number = context["run_id"], ti.try_number
    ledger.start_task(
        settings.ledger_path, run_id, ti.dag_id, task_id, try_number, (window.start, window.end)
    )
    t0 = time.perf_counter()
    try:
        result = STAGES[task_id](settings, window, run_id)
    except Exception as exc:
        msg = str(exc) if isinstance(exc, FolioError) else f"{type(exc).__name__}: {exc}"
        ledger.finish_task(
            settings.ledger_path,
            run_id,
            task_id,
            try_number,
            "failed",
            time.perf_counter() - t0,
            error=msg,
        )
        if isinstance(exc, QualityGateError):
            # the data is wrong: fail now, without the retries meant for transient errors
            from airflow.sdk.exceptions import AirflowFailException

            raise AirflowFailException(msg) from None
        raise
    seconds = time.perf_counter() - t0
    ledger.finish_task(
        settings.ledger_path,
        run_id,
        task_id,
        try_number,
        "success",
        seconds,
        rows=result.rows,
        details=result.details,
    )
    log.info("%s for %s: %d rows in %.1f s", task_id, window, result.rows, seconds)
    return {"window": str(window), "rows": result.rows, "seconds": round(seconds, 2)}


def record_run(context: Mapping[str, Any]) -> dict[str, Any]:
    """The last task: the run's totals from the ledger (what `folio status` shows)."""
    settings = get_settings()
    window = context_window(context)
    rows = ledger.task_rows(settings.ledger_path, [context["run_id"]])
    done = [r for r in rows if r["task_id"] != "record_run"]
    failed = [r["task_id"] for r in done if r["state"] != "success"]
    if failed:
        raise FolioError(f"run {context['run_id']} has unfinished stages: {', '.join(failed)}")
    total = {
        "window": str(window),
        "stages": {r["task_id"]: {"rows": r["rows"], "seconds": r["seconds"]} for r in done},
    }
    ti = context["ti"]
    ledger.start_task(
        settings.ledger_path,
        context["run_id"],
        ti.dag_id,
        "record_run",
        ti.try_number,
        (window.start, window.end),
    )
    ledger.finish_task(
        settings.ledger_path,
        context["run_id"],
        "record_run",
        ti.try_number,
        "success",
        0.0,
        rows=sum(r["rows"] or 0 for r in done),
        details=total,
    )
    alerts.quality_warnings(settings, context["run_id"], str(window))
    return total


def on_failure(context: Mapping[str, Any]) -> None:
    """Airflow failure callback: the failure is in the ledger whatever raised it."""
    settings = get_settings()
    ti = context["ti"]
    try:
        window = context_window(context)
        w = (window.start, window.end)
    except Exception:
        w = None
    exc = context.get("exception")
    error = f"{type(exc).__name__}: {exc}" if exc else "failed"
    ledger.record_failure(
        settings.ledger_path, context["run_id"], ti.dag_id, ti.task_id, ti.try_number, w, error
    )
    # the task is done for good (Airflow calls this after the last attempt): one alert
    alerts.task_failed(
        settings,
        context["run_id"],
        ti.task_id,
        f"{w[0]}..{w[1]}" if w else None,
        error,
        ti.try_number,
    )
