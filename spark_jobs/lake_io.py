"""The job's reads and writes: landed Segment lines in, lake partitions out.

Folders are listed and removed through Hadoop's FileSystem API (``Files``), so a lake on
``s3://`` or ``hdfs://`` is handled by the same code the executors write with.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import time

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F


def landing_paths(landing: str, days: list[dt.date]) -> list[str]:
    """The globs of the landed Segment files of the arrival ``days`` that have a folder."""
    return [
        f"{landing}/segment/dt={d}/*.jsonl.gz"
        for d in days
        if os.path.isdir(f"{landing}/segment/dt={d}")
    ]


def read_lines(spark: SparkSession, paths: list[str]) -> DataFrame:
    """The raw lines of Segment files ``.../segment/dt=D/<stream>-NNNNN.jsonl.gz``.

    Adds the file (relative to the landing zone), its arrival day and stream (from the
    path), and a line id: a gzip file is never split, so its lines are read in order and
    their ids increase by one (line number = id - the file's first id + 1).
    """
    path = F.col("_metadata.file_path")
    return spark.read.text(paths).select(
        "value",
        F.regexp_extract(path, r"(segment/dt=[^/]+/[^/]+)$", 1).alias("source_file"),
        F.to_date(F.regexp_extract(path, r"/dt=(\d{4}-\d{2}-\d{2})/", 1)).alias("arrival_date"),
        F.when(F.regexp_extract(path, r"/([^/]+)$", 1).startswith("portfolio-sites"), "sites")
        .otherwise("app")
        .alias("stream"),
        F.monotonically_increasing_id().alias("line_id"),
    )


class Files:
    """The lake's files through Hadoop's FileSystem API: a local path, ``s3://``/``s3a://``
    or ``hdfs://``, whatever the session's Hadoop configuration reaches (the same code the
    executors write with), not the driver's local filesystem."""

    def __init__(self, spark: SparkSession):
        self._jvm = spark.sparkContext._jvm
        self._conf = spark.sparkContext._jsc.hadoopConfiguration()

    def _fs(self, path: str):
        p = self._jvm.org.apache.hadoop.fs.Path(path)
        return p.getFileSystem(self._conf), p

    def is_dir(self, path: str) -> bool:
        fs, p = self._fs(path)
        return bool(fs.exists(p)) and fs.getFileStatus(p).isDirectory()

    def names(self, path: str) -> set[str]:
        """The names in a folder (none: an empty set)."""
        fs, p = self._fs(path)
        if not fs.exists(p):
            return set()
        return {st.getPath().getName() for st in fs.listStatus(p)}

    def any(self, pattern: str) -> bool:
        """A file matches the glob ``pattern``."""
        fs, p = self._fs(pattern)
        found = fs.globStatus(p)
        return found is not None and len(found) > 0

    def modified(self, path: str) -> float:
        """Newest modification time (epoch seconds) of ``path`` or any file under it
        (object stores give folders no time of their own)."""
        fs, p = self._fs(path)
        newest = fs.getFileStatus(p).getModificationTime()
        files = fs.listFiles(p, True)
        while files.hasNext():
            newest = max(newest, files.next().getModificationTime())
        return newest / 1000

    def remove(self, path: str) -> None:
        fs, p = self._fs(path)
        fs.delete(p, True)


def partitions(files: Files, root: str, days: list[dt.date]) -> list[str]:
    """The existing partition folders ``<root>/dt=<day>`` of the given days."""
    return [f"{root}/dt={d}" for d in days if files.is_dir(f"{root}/dt={d}")]


def read_days(spark: SparkSession, root: str, days: list[dt.date], like: DataFrame) -> DataFrame:
    """The partitions ``days`` of ``root`` as written; none written: no rows, ``like``'s columns."""
    parts = partitions(Files(spark), root, days)
    if not parts:
        return like.limit(0)
    return spark.read.option("basePath", root).parquet(*parts)


def written_rows(spark: SparkSession, path: str, days: list[dt.date]) -> dict[str, int]:
    """Rows per day in the partitions ``days`` of ``path`` as written (zeros included).

    Read back from the Parquet files (the row counts in their footers), not recomputed.
    """
    parts = partitions(Files(spark), path, days)
    counts = {}
    if parts:
        back = spark.read.option("basePath", path).parquet(*parts)
        counts = {str(r["dt"]): r["count"] for r in back.groupBy("dt").count().collect()}
    return {str(d): counts.get(str(d), 0) for d in days}


def write(df: DataFrame, path: str, days: list[dt.date]) -> dict[str, int]:
    """Replace the partitions ``days`` of ``path`` with ``df`` (partitioned by ``dt``).

    Dynamic partition overwrite replaces the days ``df`` has rows for; a day of the range
    without rows loses its old partition too, so a rerun never leaves stale rows behind.
    Returns rows per day (zeros included). Each day is one Parquet file unless it has more
    rows than ``spark.sql.files.maxRecordsPerFile``.
    """
    files = Files(df.sparkSession)
    # every write names its files with a new job id: a day whose folder still lists the
    # same files afterwards was not rewritten, i.e. the frame has no rows for it now
    before = {part: files.names(part) for part in partitions(files, path, days)}
    # one file per day (split past spark.sql.files.maxRecordsPerFile), not one per task and
    # day: every DuckDB read of the lake lists and opens each file of a year's partitions
    df.repartition("dt").write.mode("overwrite").partitionBy("dt").parquet(path)
    for part, names in before.items():
        if files.is_dir(part) and files.names(part) == names:
            files.remove(part)
    return written_rows(df.sparkSession, path, days)


def remove_stale_staging(files: Files, root: str, older_than_hours: float = 6) -> None:
    """Remove the staging folders a killed run left behind (a live run's folder is younger:
    its name holds its start time, else its newest file's time tells)."""
    for name in files.names(root):
        started = re.fullmatch(r"segment-(\d+)-[0-9a-f]+", name)
        path = f"{root}/{name}"
        born = int(started.group(1)) if started else files.modified(path)
        if time.time() - born > older_than_hours * 3600:
            files.remove(path)
