"""Extract the app database into ``lake/raw/app_db/<table>/dt=D`` (incremental, idempotent).

Reads through a SQLAlchemy URL (SQLite by default, Postgres in production; the URL may also
come from an Airflow connection). Per table and run window ``[start, end]``:

- **Cursor from the lake.** The cursor is the newest ``updated_at`` already in the table's
  partitions before the window; no state file exists to lose. The query reads
  ``updated_at >= min(cursor, start) - overlap`` and ``< end + 1 day``, so a change
  committed late (after the previous run read past its timestamp) is still picked up; a
  version already in the lake (same key and ``updated_at``) is skipped, so the overlap
  never duplicates a row. Without earlier partitions, everything before the window is read
  (the initial load).
- **Rows born in the window, changed after it.** A row created before the window's end
  but updated after it (a sign-up at 23:50, edited at 00:10, before the 02:00 run) is not
  in ``[lo, end + 1 day)`` by ``updated_at``, yet the window's Stripe and Segment data
  already refer to it. Its current version is read too (``created_at`` in ``[start,
  end + 1 day)``; the initial load reads every row created before the end), so a window's
  extract holds every row that existed at its end and facts never point at an account the
  lake lacks. A version the lake already holds outside the window (a re-read of the
  overlap, that row on the next night, a rerun of a past window) is skipped, so no version
  sits in two partitions.
- **Partitions.** A row goes to the partition of its ``updated_at`` day (late rows from
  before the window go to its first day, rows changed after it to its last). Every day of
  the window is rewritten whole, atomically, so rerunning a day gives the same rows.
- **Key comparison** on the weekly check day (``FOLIO_KEY_CHECK_WEEKDAY``): keys in the lake
  but gone from the source are hard deletes, written to ``raw/app_db/deleted_rows``; rows in
  the source that the lake lacks (or holds in an older version) although the cursor passed
  them are fetched by key: nothing a cursor can miss stays missing.
- **Contract.** NOT NULL columns and accepted values; a row that breaks it goes to
  ``lake/quarantine/app_db/<table>/dt=D`` with the reason.

Reading the source (its URL, Postgres ``COPY``, the rows' type checks) is ``app_db_read``'s.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import sqlalchemy as sa

from folio.config import Settings
from folio.contracts import appdb
from folio.core import duck, lake, ledger
from folio.core.results import StageResult
from folio.core.window import Window
from folio.ingest.app_db_read import (
    app_db_url,
    arrow_schema,
    check_columns,
    fetch,
    key_column,
    mask_password,
    source_keys,
)

SOURCE = "app_db"
DELETED = "deleted_rows"

# The contract beyond types and NOT NULL: the values downstream logic relies on.
ACCEPTED: dict[str, dict[str, tuple[str, ...]]] = {
    "accounts": {
        "status": ("trialing", "active", "past_due", "canceled"),
        "billing_interval": ("month", "year"),
    },
    "users": {"role": ("owner", "admin", "member")},
    "portfolio_sites": {"status": ("draft", "published", "archived")},
}

DELETED_SCHEMA = pa.schema(
    [
        pa.field("table_name", pa.string(), nullable=False),
        pa.field("id", pa.int64(), nullable=False),
        pa.field("detected_on", pa.date32(), nullable=False),
    ]
)


# ---------------------------------------------------------------- the contract
def contract_reasons(table: sa.Table, data: pa.Table) -> pa.Array:
    """Per row: the first contract rule it breaks, or null."""
    n = data.num_rows
    reasons = pa.nulls(n, pa.string())
    rules: list[tuple[pa.Array, str]] = []
    for c in table.columns:
        if not c.nullable:
            rules.append((pc.is_null(data[c.name]), f"{c.name} is null (NOT NULL in the contract)"))
    for name, values in ACCEPTED.get(table.name, {}).items():
        col = data[name]
        rules.append(
            (
                pc.and_(pc.is_valid(col), pc.invert(pc.is_in(col, pa.array(values)))),
                f"{name} not one of {', '.join(values)}",
            )
        )
    for mask, text in rules:
        hit = pc.and_(pc.is_null(reasons), pc.fill_null(mask, False))
        reasons = pc.if_else(hit, pa.scalar(text), reasons)
    return reasons


def _quarantined(table: str, key: Any, reason: str, row: dict) -> dict:
    """A quarantine record of one app-DB row (the row itself as JSON)."""
    return {
        "source": SOURCE,
        "table_name": table,
        "source_file": f"app_db.{table}",
        "line_number": None,
        "record_id": None if key is None else str(key),
        "reason": reason,
        "raw": json.dumps(row, default=str, sort_keys=True),
    }


# ---------------------------------------------------------------- the stage
def key_check_day(window: Window, weekday: int) -> dt.date | None:
    """The day of the window the key comparison runs on (its last matching day), if any."""
    if weekday < 0:
        return window.end
    for day in reversed(list(window.days())):
        if day.weekday() == weekday:
            return day
    return None


@dataclass
class TableExtract:
    read: int = 0
    written: int = 0
    quarantined: int = 0
    skipped: int = 0
    recovered: int = 0
    hard_deleted: int = 0
    new_columns: list[str] = field(default_factory=list)
    cursor: str | None = None


def _files_sql(files: list[Path]) -> str:
    return "[" + ", ".join("'" + str(f).replace("'", "''") + "'" for f in files) + "]"


def extract_table(
    engine: sa.Engine,
    table: sa.Table,
    settings: Settings,
    window: Window,
    check_day: dt.date | None,
) -> tuple[TableExtract, dict[dt.date, pa.Table], dict[dt.date, list[dict]], list[dict], list]:
    """Everything one table contributes to the window; nothing is written here."""
    stats = TableExtract(new_columns=check_columns(engine, table))
    pk = key_column(table)
    root = settings.lake / "raw" / SOURCE / table.name
    stored = lake.partitions(root)
    prior = [f for f in stored if lake.partition_day(f.parent) < window.start]
    # partitions after the window (a rerun or backfill of a past window): not rewritten
    later = [f for f in stored if lake.partition_day(f.parent) > window.end]
    start = dt.datetime.combine(window.start, dt.time())
    hi = dt.datetime.combine(window.end + dt.timedelta(days=1), dt.time())
    db = duck.connect(settings)
    cursor = None
    if prior:
        db.execute(f"create view prior as select * from read_parquet({_files_sql(prior)})")
        cursor = db.execute("select max(updated_at) from prior").fetchall()[0][0]
    stats.cursor = cursor.isoformat() if cursor else None
    lo = None
    if cursor is not None:
        lo = min(cursor, start) - dt.timedelta(minutes=settings.extract_overlap_minutes)
    data, bad = fetch(engine, table, lo, hi, born=start)
    stats.read = data.num_rows + len(bad)
    # a version the lake holds outside the window is skipped: re-read by the overlap, or
    # kept in a later partition when a past window is rerun. Found by updated_at, not by
    # partition day (a row changed after its window sits in the window's last partition,
    # days before its updated_at); Parquet statistics prune the files that cannot hold it
    outside = prior + later
    if outside and data.num_rows:
        db.register("fetched", data)
        data = db.sql(
            f"select f.* from fetched f anti join (select {pk}, updated_at from read_parquet("
            f"{_files_sql(outside)}, union_by_name = true) where updated_at >= ?) p"
            f" on f.{pk} = p.{pk} and f.updated_at = p.updated_at order by f.{pk}",
            params=[lo or dt.datetime.min],
        ).to_arrow_table()
        db.unregister("fetched")
    stats.skipped = stats.read - data.num_rows - len(bad)
    recovered_from = None
    bad_days = [window.start] * len(bad)
    deleted: list[dict] = []
    if check_day is not None:
        tombstones = lake.partitions(settings.lake / "raw" / SOURCE / DELETED, before=window.start)
        bad_keys = {b["row"].get(pk) for b in bad}
        extra, extra_bad, deleted = _key_check(
            engine, table, db, bool(prior), data, bad_keys, tombstones, check_day, hi
        )
        stats.read += extra.num_rows + len(extra_bad)
        stats.recovered = extra.num_rows + len(extra_bad)
        if extra.num_rows:
            recovered_from = data.num_rows
            data = pa.concat_tables([data, extra])
        bad += extra_bad
        bad_days += [check_day] * len(extra_bad)
        stats.hard_deleted = len(deleted)
    db.close()
    # partition day: the updated_at day, late rows from before the window on its first day,
    # rows created in the window but changed after it on its last; rows the key comparison
    # recovered: its day
    first = pa.scalar(window.start, pa.date32())
    last = pa.scalar(window.end, pa.date32())
    day_arr = pc.min_element_wise(
        pc.max_element_wise(pc.fill_null(pc.cast(data["updated_at"], pa.date32()), first), first),
        last,
    )
    if isinstance(day_arr, pa.ChunkedArray):
        day_arr = day_arr.combine_chunks()
    if recovered_from is not None:
        day_arr = pa.concat_arrays(
            [
                day_arr.slice(0, recovered_from),
                pa.array([check_day] * (len(day_arr) - recovered_from), pa.date32()),
            ]
        )
    reasons = contract_reasons(table, data)
    bad_mask = pc.is_valid(reasons)
    out: dict[dt.date, pa.Table] = {}
    quarantine: dict[dt.date, list[dict]] = {d: [] for d in window.days()}
    good = data.filter(pc.invert(bad_mask))
    good_days = day_arr.filter(pc.invert(bad_mask))
    for d in window.days():
        out[d] = good.filter(pc.equal(good_days, pa.scalar(d, pa.date32())))
    if pc.any(bad_mask).as_py():
        rows = data.filter(bad_mask).to_pylist()
        days = day_arr.filter(bad_mask).to_pylist()
        for row, d, reason in zip(rows, days, reasons.filter(bad_mask).to_pylist(), strict=True):
            quarantine[d].append(_quarantined(table.name, row.get(pk), reason, row))
    for b, d in zip(bad, bad_days, strict=True):  # values of the wrong type (SQLite and co.)
        quarantine[d].append(_quarantined(table.name, b["row"].get(pk), b["reason"], b["row"]))
    stats.written = good.num_rows
    stats.quarantined = sum(len(v) for v in quarantine.values())
    per_day = [
        {
            "table_name": table.name,
            "dt": d,
            "input": f"app_db.{table.name}",
            "lines_read": out[d].num_rows
            + len(quarantine[d])
            + (stats.skipped if d == window.start else 0),
            "rows_written": out[d].num_rows,
            "rows_quarantined": len(quarantine[d]),
            "rows_skipped": stats.skipped if d == window.start else 0,
        }
        for d in window.days()
    ]
    return stats, out, quarantine, per_day, deleted


def _key_check(
    engine: sa.Engine,
    table: sa.Table,
    db: duckdb.DuckDBPyConnection,
    has_prior: bool,
    data: pa.Table,
    bad_keys: set,
    tombstones: list[Path],
    check_day: dt.date,
    hi: dt.datetime,
) -> tuple[pa.Table, list[dict], list[dict]]:
    """Hard deletes (lake keys gone from the source) and the rows the cursor missed.

    Returns the missed rows (fetched by key), their type errors, and the tombstones.
    """
    pk = key_column(table)
    db.register("source_keys", source_keys(engine, table))
    db.register("new_rows", data.select([pk, "updated_at"]))
    union = f"select {pk} as id, updated_at from new_rows"
    if has_prior:
        union += f" union all select {pk}, updated_at from prior"
    db.execute(
        "create temp table lake_keys as select id, max(updated_at) as updated_at"
        f" from ({union}) group by id"
    )
    gone = "select id from lake_keys anti join source_keys using (id)"
    if tombstones:
        gone += (
            f" anti join (select id from read_parquet({_files_sql(tombstones)})"
            f" where table_name = '{table.name}') t using (id)"
        )
    deleted = [r[0] for r in db.execute(gone + " order by id").fetchall()]
    missed = [
        r[0]
        for r in db.execute(
            "select s.id from source_keys s left join lake_keys l on s.id = l.id"
            " where (s.updated_at is null or s.updated_at < ?)"
            " and (l.id is null or s.updated_at > l.updated_at) order by s.id",
            [hi],
        ).fetchall()
        if r[0] not in bad_keys
    ]
    extra, bad = arrow_schema(table).empty_table(), []
    if missed:
        extra, bad = fetch(engine, table, None, None, keys=missed)
    tombs = [{"table_name": table.name, "id": i, "detected_on": check_day} for i in deleted]
    return extra, bad, tombs


def extract_app_db(settings: Settings, window: Window, run_id: str) -> StageResult:
    """Extract every app table for the window into the lake (see the module docstring)."""
    url = app_db_url(settings)
    mask_password(url)
    engine = appdb.connect(url)
    check_day = key_check_day(window, settings.key_check_weekday)
    raw_root = settings.lake / "raw" / SOURCE
    q_root = settings.lake / "quarantine" / SOURCE
    tables: dict[str, dict[str, Any]] = {}
    ledger_rows: list[dict] = []
    tombstones: list[dict] = []
    try:
        for table in appdb.TABLES:
            stats, parts, quarantine, per_day, deleted = extract_table(
                engine, table, settings, window, check_day
            )
            # Parquet encoding releases the GIL: a window's days are written side by side
            with ThreadPoolExecutor(max(1, min(4, os.cpu_count() or 1))) as pool:
                list(
                    pool.map(
                        lambda item, t=table.name: lake.put_partition(
                            lake.partition_dir(raw_root / t, item[0]), item[1]
                        ),
                        parts.items(),
                    )
                )
            for day, records in quarantine.items():
                lake.write_quarantine(lake.partition_dir(q_root / table.name, day), records)
            ledger_rows += per_day
            tombstones += deleted
            tables[table.name] = {k: v for k, v in vars(stats).items() if v not in (0, [], None)}
    finally:
        engine.dispose()
    for day in window.days():
        rows = [t for t in tombstones if t["detected_on"] == day]
        lake.put_partition(
            lake.partition_dir(raw_root / DELETED, day),
            pa.Table.from_pylist(rows, schema=DELETED_SCHEMA),
        )
    ledger.record_ingest(
        settings.ledger_path, run_id, SOURCE, (window.start, window.end), ledger_rows
    )
    written = {name: t.get("written", 0) for name, t in tables.items()}
    details: dict[str, Any] = {
        "rows": written,
        "quarantined": {name: t.get("quarantined", 0) for name, t in tables.items()},
        "skipped_overlap": {name: t.get("skipped", 0) for name, t in tables.items()},
        "key_check_day": check_day.isoformat() if check_day else None,
        "hard_deleted": {name: t.get("hard_deleted", 0) for name, t in tables.items()},
        "recovered": {name: t.get("recovered", 0) for name, t in tables.items()},
        "dialect": engine.dialect.name,
    }
    drift = {name: t["new_columns"] for name, t in tables.items() if t.get("new_columns")}
    if drift:
        details["new_columns"] = drift
    return StageResult(rows=sum(written.values()), details=details)
