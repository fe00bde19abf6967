"""Write-audit-publish: the marts are served from a complete, closed snapshot, swapped atomically.

``publish`` copies the ``marts`` schema of the build file (never raw or staging) into a new
DuckDB file ``warehouse/snapshots/<run>.duckdb`` with ``meta.publication`` (run id, data
interval, published at, code version, row counts), checkpoints and closes it, reopens it
read-only to verify every count, then makes ``warehouse/folio.duckdb`` (the served
path) that file:

- the served path is a **hard link** to the snapshot, replaced with ``os.replace`` (one
  atomic rename): a reader opening it gets the old or the new snapshot, never a mix, and a
  reader that already has it open keeps reading the old one (its inode lives on);
- a snapshot is written under a temporary name and renamed into ``snapshots/`` only when
  complete and verified: a crash at any point leaves the served file as it was;
- snapshots are closed after a checkpoint: no ``.wal`` file exists beside them, and
  readers open them read-only (Superset, ``folio sql``), so none is ever created.

``rollback`` serves an earlier snapshot the same way. The last ``FOLIO_KEEP_SNAPSHOTS``
snapshots are kept (the served one always).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from folio.config import Settings
from folio.core import duck
from folio.core.errors import FolioError
from folio.core.results import StageResult
from folio.core.version import code_version
from folio.core.window import Window


@dataclass(frozen=True)
class Publication:
    run_id: str
    interval_start: dt.date
    interval_end: dt.date
    published_at: dt.datetime
    code_version: str
    row_counts: dict[str, int]
    path: Path

    def summary(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "interval": f"{self.interval_start}..{self.interval_end}",
            "published_at": self.published_at.isoformat(timespec="seconds"),
            "code_version": self.code_version,
            "tables": len(self.row_counts),
            "rows": sum(self.row_counts.values()),
            "snapshot": self.path.name,
        }


def served_path(settings: Settings) -> Path:
    return settings.paths.served_db


def snapshots_dir(settings: Settings) -> Path:
    return settings.paths.snapshots


def _file_name(run_id: str) -> str:
    """A file name for a run id (Airflow's contain ':' and '+')."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", run_id) + ".duckdb"


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_snapshot(settings: Settings, tmp: Path, run_id: str, window: Window) -> dict[str, int]:
    """Copy the build file's marts into ``tmp`` with ``meta.publication``; checkpoint, close."""
    if not settings.build_db.exists():
        raise FolioError(f"no build file to publish: {settings.build_db} (run the dbt stage)")
    with duck.connect(settings, tmp) as con:
        con.execute(f"attach '{settings.build_db}' as build (read_only)")
        tables = [
            t
            for (t,) in con.execute(
                "select table_name from information_schema.tables where table_catalog = 'build'"
                " and table_schema = 'marts' and table_type = 'BASE TABLE' order by 1"
            ).fetchall()
        ]
        if not tables:
            raise FolioError(f"the build file {settings.build_db} has no marts to publish")
        con.execute("create schema marts")
        counts = {}
        for t in tables:
            con.execute(f'create table marts."{t}" as select * from build.marts."{t}"')
            counts[t] = con.execute(f'select count(*) from marts."{t}"').fetchall()[0][0]
        con.execute("detach build")
        con.execute("create schema meta")
        con.execute(
            "create table meta.publication (run_id varchar, interval_start date,"
            " interval_end date, published_at timestamp, code_version varchar,"
            " row_counts varchar)"
        )
        con.execute(
            "insert into meta.publication values (?, ?, ?, ?, ?, ?)",
            [
                run_id,
                window.start,
                window.end,
                dt.datetime.now(dt.UTC).replace(tzinfo=None),
                code_version(),
                json.dumps(counts, sort_keys=True),
            ],
        )
        con.execute("checkpoint")
    with open(tmp, "rb") as fh:  # the file's bytes are on disk before it can be served
        os.fsync(fh.fileno())
    return counts


def read_publication(path: Path, settings: Settings) -> Publication:
    """``meta.publication`` of a snapshot, opened read-only; FolioError if it is not one."""
    import duckdb

    try:
        with duck.connect(settings, path, read_only=True) as con:
            row = con.execute("select * from meta.publication").fetchall()
            tables = {
                t: con.execute(f'select count(*) from marts."{t}"').fetchall()[0][0]
                for (t,) in con.execute(
                    "select table_name from information_schema.tables where table_schema ="
                    " 'marts' order by 1"
                ).fetchall()
            }
    except duckdb.Error as exc:
        raise FolioError(f"{path} is not a readable snapshot: {exc}") from None
    if len(row) != 1:
        raise FolioError(f"{path} has {len(row)} publication rows, not 1")
    run_id, start, end, at, version, counts_json = row[0]
    counts = json.loads(counts_json)
    if counts != tables:
        raise FolioError(f"{path}: the marts' row counts differ from its publication record")
    return Publication(run_id, start, end, at, version, counts, path)


def _serve(settings: Settings, snapshot: Path) -> None:
    """Make the served path the snapshot: a hard link, swapped in by one atomic rename."""
    served = served_path(settings)
    tmp = served.with_name(f".{served.name}.{os.getpid()}.tmp")
    tmp.unlink(missing_ok=True)
    os.link(snapshot, tmp)
    os.replace(tmp, served)
    _fsync_dir(served.parent)


def publish_marts(settings: Settings, window: Window, run_id: str) -> StageResult:
    """The DAG's publish task: the build passed its tests, now it is served."""
    pub = publish(settings, run_id, window)
    return StageResult(rows=sum(pub.row_counts.values()), details=pub.summary())


def publish(settings: Settings, run_id: str, window: Window) -> Publication:
    """Snapshot the build file's marts, verify the snapshot, serve it, prune old ones."""
    snaps = snapshots_dir(settings)
    snaps.mkdir(parents=True, exist_ok=True)
    final = snaps / _file_name(run_id)
    tmp = snaps / f".{final.name}.{os.getpid()}.tmp"
    tmp.unlink(missing_ok=True)
    tmp.with_name(tmp.name + ".wal").unlink(missing_ok=True)
    try:
        counts = _write_snapshot(settings, tmp, run_id, window)
        # audit: reopened read-only, every count checked
        publication = read_publication(tmp, settings)
        if publication.row_counts != counts:
            raise FolioError(f"snapshot {tmp} does not hold what was copied")
        os.replace(tmp, final)
        _fsync_dir(snaps)
    finally:
        tmp.unlink(missing_ok=True)
    _serve(settings, final)
    prune(settings)
    return read_publication(final, settings)


def snapshots(settings: Settings) -> list[Publication]:
    """The complete snapshots, newest publication first (temporary files are not ones)."""
    out = []
    for path in snapshots_dir(settings).glob("*.duckdb"):
        try:
            out.append(read_publication(path, settings))
        except FolioError:
            continue
    return sorted(out, key=lambda p: p.published_at, reverse=True)


def current(settings: Settings) -> Publication | None:
    served = served_path(settings)
    return read_publication(served, settings) if served.exists() else None


def is_served(settings: Settings, path: Path) -> bool:
    served = served_path(settings)
    return served.exists() and os.path.samefile(served, path)


def prune(settings: Settings) -> list[Path]:
    """Remove all but the newest FOLIO_KEEP_SNAPSHOTS snapshots (never the served one)."""
    removed = []
    for p in snapshots(settings)[settings.keep_snapshots :]:
        if not is_served(settings, p.path):
            p.path.unlink(missing_ok=True)
            removed.append(p.path)
    leftovers = [
        *snapshots_dir(settings).glob(".*.tmp*"),  # a killed publish's half-written file
        *settings.warehouse.glob(
            f".{served_path(settings).name}.*.tmp"
        ),  # and its link not yet renamed
    ]
    for leftover in leftovers:
        leftover.unlink(missing_ok=True)
    return removed


def rollback(settings: Settings, to_run: str | None = None) -> Publication:
    """Serve an earlier snapshot: the one of ``to_run``, or the one before the served one."""
    snaps = snapshots(settings)
    served = current(settings)
    if to_run is not None:
        match = [p for p in snaps if p.run_id == to_run]
        if not match:
            known = ", ".join(p.run_id for p in snaps) or "none"
            raise FolioError(f"no snapshot of run {to_run!r} (kept: {known})")
        target = match[0]
    else:
        older = [p for p in snaps if served is None or p.published_at < served.published_at]
        if not older:
            raise FolioError("no earlier snapshot to roll back to")
        target = older[0]
    _serve(settings, target.path)
    return read_publication(served_path(settings), settings)
