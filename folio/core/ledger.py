"""The run ledger: one row per task attempt, with its window, state, timing and row counts.

SQLite under ``FOLIO_HOME/ops``: several task processes may write at once (LocalExecutor),
and SQLite serialises those writes safely. ``folio status`` and the run summary read it.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any

SCHEMA = """
create table if not exists task_runs (
    run_id        text not null,
    dag_id        text not null,
    task_id       text not null,
    try_number    integer not null,
    window_start  text not null,
    window_end    text not null,
    state         text not null,          -- running | success | failed
    started_at    text not null,
    finished_at   text,
    seconds       real,
    rows          integer,
    details       text,                   -- JSON: per-source counts and the like
    error         text,
    primary key (run_id, task_id, try_number)
);
create table if not exists ingest_files (
    run_id            text not null,
    source            text not null,      -- stripe | app_db
    table_name        text not null,
    dt                text not null,      -- the lake partition the input fed
    input             text not null,      -- landing file (relative) or app_db.<table>
    status            text not null,      -- ok | corrupt
    lines_read        integer not null,
    rows_written      integer not null,
    rows_quarantined  integer not null,
    rows_skipped      integer not null,   -- app_db: versions already in the lake (overlap)
    reason            text,
    recorded_at       text not null,
    primary key (run_id, source, table_name, dt, input)
);
create table if not exists dbt_results (
    run_id         text not null,
    invocation_id  text not null,         -- one dbt command
    unique_id      text not null,         -- model.folio.mrr_monthly, test.folio...
    resource_type  text not null,         -- model | test | unit_test | snapshot | seed
    status         text not null,         -- success | error | fail | warn | pass | skipped
    seconds        real,
    rows_affected  integer,
    failures       integer,               -- tests: failing rows
    message        text,
    recorded_at    text not null,
    primary key (run_id, invocation_id, unique_id)
);
create table if not exists quality_results (
    run_id            text not null,
    stage             text not null,      -- validate_raw | build_marts | validate_marts
    tool              text not null,      -- gx | dbt
    suite             text not null,      -- GX suite, or the model a dbt test is attached to
    asset             text not null,      -- the table checked (lake path or schema.table)
    check_name        text not null,      -- "#3 expect_...(column)" or the dbt test name
    severity          text not null,      -- critical (blocks publishing) | warning
    status            text not null,      -- pass | fail | error | skipped
    observed          text,
    unexpected_count  integer,            -- failing rows
    message           text,
    sample            text,               -- JSON: a few offending values (never served)
    recorded_at       text not null,
    primary key (run_id, stage, suite, asset, check_name)
);

create table if not exists alerts (
    run_id        text not null,
    task_id       text not null,          -- the failed task, or record_run for warnings
    kind          text not null,          -- task_failed | quality_warnings
    message       text not null,          -- the text posted (or that would have been)
    delivered     integer not null,       -- 1: the webhook answered 2xx
    error         text,                   -- why not: no webhook configured, HTTP 500 ...
    created_at    text not null,
    primary key (run_id, task_id, kind)
);
"""

ADDED_COLUMNS = [("quality_results", "sample", "text")]


def connect(path: Path) -> sqlite3.Connection:
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, timeout=30)
    conn.execute("pragma journal_mode=wal")
    conn.executescript(SCHEMA)
    # columns added after a table first shipped: (table, column, type)
    for table, column, typ in ADDED_COLUMNS:
        have = {r[1] for r in conn.execute(f"pragma table_info({table})")}
        if column not in have:
            conn.execute(f"alter table {table} add column {column} {typ}")
    return conn


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def start_task(
    path: Path,
    run_id: str,
    dag_id: str,
    task_id: str,
    try_number: int,
    window: tuple[dt.date, dt.date],
) -> None:
    with closing(connect(path)) as conn, conn:
        conn.execute(
            "insert or replace into task_runs (run_id, dag_id, task_id, try_number, window_start,"
            " window_end, state, started_at) values (?, ?, ?, ?, ?, ?, 'running', ?)",
            (run_id, dag_id, task_id, try_number, str(window[0]), str(window[1]), _now()),
        )


def finish_task(
    path: Path,
    run_id: str,
    task_id: str,
    try_number: int,
    state: str,
    seconds: float,
    rows: int | None = None,
    details: dict[str, Any] | None = None,
    error: str | None = None,
) -> None:
    with closing(connect(path)) as conn, conn:
        conn.execute(
            "update task_runs set state = ?, finished_at = ?, seconds = ?, rows = ?, details = ?,"
            " error = ? where run_id = ? and task_id = ? and try_number = ?",
            (
                state,
                _now(),
                round(seconds, 3),
                rows,
                json.dumps(details, default=str) if details is not None else None,
                error,
                run_id,
                task_id,
                try_number,
            ),
        )


def record_failure(
    path: Path,
    run_id: str,
    dag_id: str,
    task_id: str,
    try_number: int,
    window: tuple[dt.date, dt.date] | None,
    error: str,
) -> None:
    """From Airflow's failure callback: make sure the failed attempt is in the ledger."""
    with closing(connect(path)) as conn, conn:
        cur = conn.execute(
            "update task_runs set state = 'failed', error = coalesce(error, ?),"
            " finished_at = coalesce(finished_at, ?) where run_id = ? and task_id = ?"
            " and try_number = ?",
            (error, _now(), run_id, task_id, try_number),
        )
        if cur.rowcount == 0:
            w = window or (None, None)
            conn.execute(
                "insert into task_runs (run_id, dag_id, task_id, try_number, window_start,"
                " window_end, state, started_at, finished_at, error)"
                " values (?, ?, ?, ?, ?, ?, 'failed', ?, ?, ?)",
                (run_id, dag_id, task_id, try_number, str(w[0]), str(w[1]), _now(), _now(), error),
            )


def record_ingest(
    path: Path, run_id: str, source: str, window: tuple[dt.date, dt.date], rows: list[dict]
) -> None:
    """Replace the ingest records of ``source`` for the window in this run (a retry rewrites).

    Each row: table_name, dt, input, status, lines_read, rows_written, rows_quarantined,
    rows_skipped, reason. Invariant: lines_read = rows_written + rows_quarantined + rows_skipped.
    """
    for r in rows:
        if r["lines_read"] != r["rows_written"] + r["rows_quarantined"] + r.get("rows_skipped", 0):
            raise RuntimeError(f"ingest accounting does not add up for {r}")
    now = _now()
    with closing(connect(path)) as conn, conn:
        conn.execute(
            "delete from ingest_files where run_id = ? and source = ? and dt between ? and ?",
            (run_id, source, str(window[0]), str(window[1])),
        )
        conn.executemany(
            "insert into ingest_files (run_id, source, table_name, dt, input, status, lines_read,"
            " rows_written, rows_quarantined, rows_skipped, reason, recorded_at)"
            " values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    run_id,
                    source,
                    r["table_name"],
                    str(r["dt"]),
                    r["input"],
                    r.get("status", "ok"),
                    r["lines_read"],
                    r["rows_written"],
                    r["rows_quarantined"],
                    r.get("rows_skipped", 0),
                    r.get("reason"),
                    now,
                )
                for r in rows
            ],
        )


def _select(
    path: Path, sql: str, run_ids: list[str] | None, order: str, run_col: str = "run_id"
) -> list[dict[str, Any]]:
    """Rows of ``sql``, for the given runs (or all runs), in ``order``."""
    if not path.exists():
        return []
    with closing(connect(path)) as conn:
        conn.row_factory = sqlite3.Row
        params: list[Any] = []
        if run_ids:
            sql += f" where {run_col} in ({','.join('?' * len(run_ids))})"
            params = list(run_ids)
        return [dict(r) for r in conn.execute(f"{sql} order by {order}", params)]


def ingest_rows(path: Path, run_ids: list[str] | None = None) -> list[dict[str, Any]]:
    return _select(path, "select * from ingest_files", run_ids, "run_id, source, dt, input")


def ingest_totals(path: Path, run_ids: list[str]) -> dict[str, dict[str, dict[str, int]]]:
    """Per run and source: rows read, written, quarantined (what `folio status` shows)."""
    out: dict[str, dict[str, dict[str, int]]] = {}
    for r in ingest_rows(path, run_ids):
        t = out.setdefault(r["run_id"], {}).setdefault(
            r["source"], {"read": 0, "written": 0, "quarantined": 0, "corrupt_files": 0}
        )
        t["read"] += r["lines_read"]
        t["written"] += r["rows_written"]
        t["quarantined"] += r["rows_quarantined"]
        t["corrupt_files"] += r["status"] == "corrupt"
    return out


def task_rows(path: Path, run_ids: list[str] | None = None) -> list[dict[str, Any]]:
    """The latest attempt of every task, for the given runs (or all runs)."""
    sql = (
        "select t.* from task_runs t join (select run_id, task_id, max(try_number) n"
        " from task_runs group by run_id, task_id) last on t.run_id = last.run_id"
        " and t.task_id = last.task_id and t.try_number = last.n"
    )
    rows = _select(path, sql, run_ids, "t.started_at", run_col="t.run_id")
    for r in rows:
        r["details"] = json.loads(r["details"]) if r["details"] else {}
    return rows


def record_dbt_results(path: Path, run_id: str, invocation_id: str, results: list[dict]) -> None:
    """One row per node of one dbt invocation (models, tests, snapshots)."""
    now = _now()
    with closing(connect(path)) as conn, conn:
        conn.executemany(
            "insert or replace into dbt_results values "
            "(:run_id, :invocation_id, :unique_id, :resource_type, :status, :seconds, "
            ":rows_affected, :failures, :message, :recorded_at)",
            [
                r | {"run_id": run_id, "invocation_id": invocation_id, "recorded_at": now}
                for r in results
            ],
        )


def dbt_results(path: Path, run_ids: list[str] | None = None) -> list[dict[str, Any]]:
    return _select(path, "select * from dbt_results", run_ids, "recorded_at, unique_id")


def record_quality(path: Path, run_id: str, stage: str, rows: list[dict]) -> None:
    """Replace the quality results of one stage of a run (a retry rewrites them).

    Each row: tool, suite, asset, check_name, severity, status, observed, unexpected_count,
    message, sample (optional).
    """
    now = _now()
    with closing(connect(path)) as conn, conn:
        conn.execute("delete from quality_results where run_id = ? and stage = ?", (run_id, stage))
        conn.executemany(
            "insert or replace into quality_results (run_id, stage, tool, suite, asset,"
            " check_name, severity, status, observed, unexpected_count, message, sample,"
            " recorded_at) values (:run_id, :stage, :tool, :suite, :asset, :check_name,"
            " :severity, :status, :observed, :unexpected_count, :message, :sample, :recorded_at)",
            [
                {"sample": None} | r | {"run_id": run_id, "stage": stage, "recorded_at": now}
                for r in rows
            ],
        )


def record_alert(
    path: Path,
    run_id: str,
    task_id: str,
    kind: str,
    message: str,
    delivered: bool,
    error: str | None,
) -> None:
    """One alert per run, task and kind (a second failure of the same task replaces it)."""
    with closing(connect(path)) as conn, conn:
        conn.execute(
            "insert or replace into alerts values (?, ?, ?, ?, ?, ?, ?)",
            (run_id, task_id, kind, message, int(delivered), error, _now()),
        )


def alert_rows(path: Path, run_ids: list[str] | None = None) -> list[dict[str, Any]]:
    return _select(path, "select * from alerts", run_ids, "created_at")


def quality_rows(path: Path, run_ids: list[str] | None = None) -> list[dict[str, Any]]:
    return _select(path, "select * from quality_results", run_ids, "recorded_at, stage, suite")


def quality_totals(path: Path, run_ids: list[str]) -> dict[str, dict[str, int]]:
    """Per run: checks passed, failed critical, failed warning, skipped (`folio status`)."""
    out: dict[str, dict[str, int]] = {}
    for r in quality_rows(path, run_ids):
        t = out.setdefault(r["run_id"], {"passed": 0, "critical": 0, "warning": 0, "skipped": 0})
        if r["status"] == "pass":
            t["passed"] += 1
        elif r["status"] == "skipped":
            t["skipped"] += 1
        else:
            t["critical" if r["severity"] == "critical" else "warning"] += 1
    return out
