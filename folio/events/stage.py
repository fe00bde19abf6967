"""The Spark stage of ``folio_nightly``: Segment events -> clean events and sessions."""

from __future__ import annotations

from typing import Any

from folio.config import Settings
from folio.core import ledger
from folio.core.results import StageResult
from folio.core.window import Window
from folio.events.spark import session


def sessionize_events(settings: Settings, window: Window, run_id: str) -> StageResult:
    """Run ``spark_jobs.sessionize`` for the window (plus the lookback) on FOLIO_SPARK_MASTER."""
    # the job imports PySpark: only the task that runs it pays for that import
    from spark_jobs.sessionize import Params, run

    params = Params(
        start=window.start,
        end=window.end,
        lookback_days=settings.events_lookback_days,
        session_gap_minutes=settings.session_gap_minutes,
        bot_pages_per_minute=settings.bot_pages_per_minute,
    )
    spark = session(settings, "folio-sessionize")
    stats = run(spark, str(settings.landing), str(settings.lake), params)
    rows: list[dict[str, Any]] = [
        {
            "table_name": f["stream"],
            "dt": f["dt"],
            "input": f["source_file"],
            "lines_read": f["lines"],
            "rows_written": f["written"],
            "rows_quarantined": f["quarantined"],
            # duplicates, events beyond the lookback (in late_events) and messages of
            # event days outside the range are not written as clean events
            "rows_skipped": f["lines"] - f["written"] - f["quarantined"],
        }
        for f in stats.get("per_file", [])
    ]
    ledger.record_ingest(
        settings.ledger_path, run_id, "segment", (params.range_start, window.end), rows
    )
    outputs = stats["outputs"]
    details = {
        "lookback_from": str(params.range_start),
        "files": stats["files"],
        "lines": stats["lines"],
        "quarantined": stats.get("quarantined", 0),
        "duplicates": stats.get("duplicates", 0),
        "bots": stats.get("bots", 0),
        "late_beyond_lookback": sum(outputs.get("late_events", {}).values()),
        "rows": {t: sum(v.values()) for t, v in outputs.items() if t != "quarantine"},
        "empty_days": sorted(d for d, n in outputs.get("clean_events", {}).items() if n == 0),
    }
    return StageResult(rows=details["rows"].get("clean_events", 0), details=details)
