"""Partitions of the lake: one Parquet file per ``<table>/dt=YYYY-MM-DD`` folder, replaced whole.

A partition is written to a hidden temporary file in its folder, flushed to disk (fsync,
so the new content is durable before it becomes visible), and renamed over
``part-00000.parquet`` (``os.replace`` is atomic on POSIX). A reader (dbt, DuckDB, Spark:
they read ``*.parquet``) sees the old file or the new one, never a half-written one; a
killed writer leaves only a ``.part-*.tmp`` file, which the next write of that partition
removes. The folder itself is not fsynced: after a power cut a rename may be lost, which
leaves the previous complete file (the rerun of the night rewrites it).

On object storage (``FOLIO_LAKE_URL``, a ``UPath`` root) there is no rename: a file is
encoded in memory and stored with one PUT, and an object store shows a reader the old
object or the new one, never part of one. Nothing is written on an encoding error.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import uuid
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from folio.core.errors import FolioError

PART = "part-00000.parquet"
TMP_GLOB = ".part-*.tmp"

QUARANTINE_SCHEMA = pa.schema(
    [
        pa.field("source", pa.string(), nullable=False),
        pa.field("table_name", pa.string(), nullable=False),
        pa.field("source_file", pa.string(), nullable=False),
        pa.field("line_number", pa.int64()),
        pa.field("record_id", pa.string()),
        pa.field("reason", pa.string(), nullable=False),
        pa.field("raw", pa.string()),
    ]
)


def partition_dir(root: Path, day: dt.date) -> Path:
    return root / f"dt={day.isoformat()}"


def partition_day(path: Path) -> dt.date | None:
    name = path.name
    if not name.startswith("dt="):
        return None
    try:
        return dt.date.fromisoformat(name[3:])
    except ValueError:
        return None


def is_local(path: Path) -> bool:
    """A path of the local filesystem (a remote lake's paths are ``UPath``, not ``Path``)."""
    return isinstance(path, Path)


def check_reachable(root: Path) -> None:
    """A FolioError naming the lake's URL when a remote lake cannot be listed (a missing
    bucket, refused credentials, an unreachable endpoint), before any stage writes to it."""
    if is_local(root):
        return
    bucket = root.path.split("/")[0]
    try:
        root.fs.ls(bucket, refresh=True)
    except Exception as exc:  # s3fs/botocore raise many kinds: all mean the same here
        raise FolioError(
            f"the lake {root} (FOLIO_LAKE_URL) is not reachable: {type(exc).__name__}: {exc}"
        ) from None


def files(root: Path, pattern: str = "dt=*/*.parquet") -> list[Path]:
    """The files under ``root`` matching ``pattern``, sorted. On object storage the listing
    is fresh: s3fs answers a glob from listings it cached, which miss what another writer
    (Spark, through S3A) added since."""
    if not is_local(root):
        root.fs.invalidate_cache(root.path)
    return sorted(root.glob(pattern))


def partitions(
    root: Path, before: dt.date | None = None, upto: dt.date | None = None
) -> list[Path]:
    """The partition files under a table root, oldest first, optionally bounded by day."""
    if is_local(root):
        if not root.is_dir():
            return []
        found = [d / PART for d in root.iterdir()]
    else:  # one listing, not a request per day
        found = files(root, f"dt=*/{PART}")
    out = []
    for f in found:
        day = partition_day(f.parent)
        if day is None or (before and day >= before) or (upto and day > upto):
            continue
        if is_local(f) and not f.exists():  # a folder without its file
            continue
        out.append((day, f))
    return [f for _, f in sorted(out)]


def write_partition(directory: Path, table: pa.Table) -> Path:
    """Replace the partition in ``directory`` with ``table`` (atomically, see module doc)."""
    return replace_file(directory / PART, table)


def replace_file(final: Path, table: pa.Table) -> Path:
    """Replace the Parquet file ``final`` with ``table``: a hidden temporary file in the same
    folder, fsynced, then renamed over it (the module doc's guarantee, for any lake file);
    on object storage one PUT of the whole file."""
    if not is_local(final):
        buf = pa.BufferOutputStream()
        pq.write_table(table, buf, compression="zstd", write_statistics=True)
        final.fs.pipe_file(final.path, buf.getvalue().to_pybytes())
        return final
    final.parent.mkdir(parents=True, exist_ok=True)
    stem = final.name.removesuffix(".parquet")
    for stale in final.parent.glob(f".{stem}-*.tmp"):  # left by a killed writer
        stale.unlink(missing_ok=True)
    tmp = final.with_name(f".{stem}-{os.getpid()}-{uuid.uuid4().hex[:8]}.tmp")
    try:
        _write_file(tmp, table)
        os.replace(tmp, final)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return final


def _write_file(path: Path, table: pa.Table) -> None:
    with path.open("wb") as fh:
        pq.write_table(table, fh, compression="zstd", write_statistics=True)
        fh.flush()
        os.fsync(fh.fileno())


def remove_partition(directory: Path) -> None:
    """Drop a partition (a rerun found nothing for it): the file, stale temporaries, the folder."""
    if not is_local(directory):  # no folders on object storage: the object is the partition
        f = directory / PART
        if f.exists():
            f.unlink()
        return
    if not directory.is_dir():
        return
    for f in [directory / PART, *directory.glob(TMP_GLOB)]:
        f.unlink(missing_ok=True)
    with contextlib.suppress(OSError):  # not empty: something else lives there
        directory.rmdir()


def put_partition(directory: Path, table: pa.Table) -> None:
    """The partition holds exactly ``table``; an empty table: no partition at all.

    A day without rows leaves no file (a rerun that finds nothing removes the earlier one);
    the ingest ledger, not an empty file, records that the day was loaded.
    """
    if table.num_rows:
        write_partition(directory, table)
    else:
        remove_partition(directory)


def write_quarantine(directory: Path, records: list[dict]) -> None:
    """The quarantine partition holds exactly ``records``; none: no partition."""
    put_partition(directory, pa.Table.from_pylist(records, schema=QUARANTINE_SCHEMA))
