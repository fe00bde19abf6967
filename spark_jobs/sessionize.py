"""Segment events -> clean events and sessions (PySpark).

Each transform is a pure ``DataFrame -> DataFrame`` function (``messages``, ``sessions``;
tested on tiny frames); ``run`` wires them: read the lines received in ``[start -
lookback, end]``, parse, quarantine, de-duplicate, time, flag bots, stitch identities,
sessionize, write. Only built-in Spark SQL functions are used (no Python UDFs), so
executors on a cluster need no Python code of ours: only the driver imports this package.

Days: a message's *arrival day* is its ``receivedAt`` day (the landing partition); its
*event day* is the day of its event time (Segment's clock-skew correction,
``receivedAt - (sentAt - originalTimestamp)``). Outputs are partitioned by event day
(sessions: by the day they start); a run rewrites the event days ``[start - lookback,
end]``. A message whose event day lies before that range arrived too late to be placed:
it goes to ``late_events`` (counted, visible), never silently away.
"""

from __future__ import annotations

import datetime as dt
import time
import uuid
from dataclasses import dataclass

from pyspark import StorageLevel
from pyspark.sql import Column, DataFrame, SparkSession, Window
from pyspark.sql import functions as F

from spark_jobs.lake_io import (
    Files,
    landing_paths,
    partitions,
    read_days,
    read_lines,
    remove_stale_staging,
    write,
)
from spark_jobs.messages import (
    BOT_AGENTS,
    CORRUPT,
    clean,
    deduplicate,
    duplicate_ids,
    event_times,
    flag_bots,
    identities,
    parse,
    quarantine,
    stitch,
)
from spark_jobs.sessions import app_sessions, sessionize, site_sessions, site_traffic_daily

# what callers import from here: the run, its parameters and the transforms it wires
__all__ = [
    "BOT_AGENTS",
    "OUTPUTS",
    "Params",
    "app_sessions",
    "clean",
    "deduplicate",
    "duplicate_ids",
    "event_times",
    "flag_bots",
    "identities",
    "parse",
    "quarantine",
    "run",
    "sessionize",
    "site_sessions",
    "site_traffic_daily",
    "stitch",
]

OUTPUTS = ("clean_events", "app_sessions", "site_sessions", "site_traffic_daily", "identities")
# frames reused by several outputs are cached on local disk, not on the heap: the driver's
# memory (FOLIO_SPARK_DRIVER_MEMORY) then bounds nothing but the working set of a task
CACHE = StorageLevel.DISK_ONLY


@dataclass(frozen=True)
class Params:
    start: dt.date  # the run's window (arrival days)
    end: dt.date
    lookback_days: int = 3
    session_gap_minutes: int = 30
    bot_pages_per_minute: int = 30

    @property
    def range_start(self) -> dt.date:
        """The first event day (and arrival day) this run reads and rewrites."""
        return self.start - dt.timedelta(days=self.lookback_days)

    @property
    def days(self) -> list[dt.date]:
        """The arrival days this run reads, which are also the event days it rewrites."""
        return [
            self.range_start + dt.timedelta(days=k)
            for k in range((self.end - self.range_start).days + 1)
        ]


def _in_range(params: Params) -> Column:
    """Rows whose ``dt`` is one of the event days the run rewrites."""
    return F.col("dt").between(F.lit(params.range_start), F.lit(params.end))


def run(spark: SparkSession, landing: str, lake: str, params: Params) -> dict:
    """Process the arrival days ``[range_start, end]`` and rewrite their event days.

    The JSON is parsed once: the parsed, timed messages are staged as Parquet under
    ``<lake>/_staging`` (a path every executor reaches; removed at the end), and every
    later step reads the columns it needs from there. Sessions and daily traffic read
    the clean events and sessions back as written.
    """
    files = Files(spark)
    paths = landing_paths(landing, params.days)
    if not paths:
        return clear_range(files, lake, params.days)
    remove_stale_staging(files, f"{lake}/_staging")
    staging = f"{lake}/_staging/segment-{int(time.time())}-{uuid.uuid4().hex}"
    try:
        return process(spark, paths, staging, lake, params)
    finally:
        files.remove(staging)


def process(spark: SparkSession, paths: list[str], staging: str, lake: str, params: Params) -> dict:
    """The steps of a run over the landed files ``paths``, staging under ``staging``."""
    parsed = stage_messages(spark, paths, staging)
    good = parsed.where(F.col("reason").isNull())
    dups = duplicate_ids(good).persist(CACHE)  # small: the ids delivered more than once
    unique, already = drop_placed(spark, lake, params, deduplicate(good, dups))
    in_range, late = split_late(unique, params)
    flagged = flag_bots(in_range, params.bot_pages_per_minute)
    ids = identities(flagged.where(F.col("stream") == "app")).persist(CACHE)
    known = known_identities(spark, lake, params, ids)
    cleaned = clean(stitch(flagged, known))
    outputs = write_events(lake, params, parsed, cleaned, ids, late)
    # sessions read the clean events as written, with the day before the range: sessions
    # that began then continue into it (that day's sessions are not rewritten)
    context_day = params.range_start - dt.timedelta(days=1)
    pool = read_days(spark, f"{lake}/events/clean_events", [context_day, *params.days], cleaned)
    events = pool.where(_in_range(params))
    outputs.update(write_sessions(spark, lake, params, pool, events))
    stats = run_stats(parsed, events, dups, already, outputs)
    for df in (dups, ids):
        df.unpersist()
    return stats


def clear_range(files: Files, lake: str, days: list[dt.date]) -> dict:
    """No landed files in the range: its partitions of every output are emptied, zeros
    recorded."""
    roots = [f"{lake}/events/{t}" for t in (*OUTPUTS, "late_events")]
    for root in [*roots, f"{lake}/quarantine/segment/messages"]:
        for part in partitions(files, root, days):
            files.remove(part)
    zero = {str(d): 0 for d in days}
    return {"files": 0, "lines": 0, "outputs": {t: dict(zero) for t in OUTPUTS}}


def stage_messages(spark: SparkSession, paths: list[str], staging: str) -> DataFrame:
    """Read the landed lines, parse and time them once, write them to ``staging`` and read
    them back from there (later steps then never parse JSON again)."""
    # the raw line is kept only where it goes to quarantine: the staged frame stays slim
    event_times(parse(read_lines(spark, paths))).withColumn(
        "value", F.when(F.col("reason").isNotNull(), F.col("value"))
    ).drop(CORRUPT, "traits").write.parquet(staging)
    return spark.read.parquet(staging)


def drop_placed(
    spark: SparkSession, lake: str, params: Params, unique: DataFrame
) -> tuple[DataFrame, int]:
    """Drop the messages an earlier run already placed; returns the rest and their number.

    A message whose first copy arrived before this range was placed by an earlier run: a
    later copy arriving inside the range is a duplicate too (else a run's result would
    depend on where its range starts). Its first copy lies in the days just before the
    range, as written; those are checked for its id.
    """
    before = [params.range_start - dt.timedelta(days=i) for i in range(1, params.lookback_days + 2)]
    placed = read_days(
        spark,
        f"{lake}/events/clean_events",
        before,
        spark.createDataFrame([], "message_id string"),
    ).select(F.col("message_id").alias("messageId"))
    already = unique.join(placed, "messageId", "left_semi").count()
    if already:
        unique = unique.join(placed, "messageId", "left_anti")
    return unique, already


def split_late(unique: DataFrame, params: Params) -> tuple[DataFrame, DataFrame]:
    """The messages of the range's event days, and those too late for any run (late_events).

    A message later than the lookback (its event day lies more than lookback days before
    its arrival) was in no run's range. One of an earlier event day, but within the
    lookback, was placed by the run for its arrival day: skipped here.
    """
    in_range = unique.where(F.col("event_date") >= F.lit(params.range_start))
    late = unique.where(
        (F.col("event_date") < F.date_sub("arrival_date", params.lookback_days))
        & (F.col("event_date") < F.lit(params.range_start))  # a range run places it itself
    ).select(
        F.col("messageId").alias("message_id"),
        "stream",
        "source_file",
        "event_at",
        "received_at",
        F.lit(f"arrived after the lookback of {params.lookback_days} days").alias("reason"),
        F.col("arrival_date").alias("dt"),
    )
    return in_range, late


def known_identities(spark: SparkSession, lake: str, params: Params, ids: DataFrame) -> DataFrame:
    """``ids`` merged with the identities written for days before the range: a device
    identified earlier keeps its first user."""
    ids_root = f"{lake}/events/identities"
    # (a folder can exist without files: runs whose days had no identify call)
    if not Files(spark).any(f"{ids_root}/dt=*/*.parquet"):
        return ids
    earlier = (
        spark.read.parquet(ids_root)
        .where(F.col("dt") < F.lit(params.range_start))
        .select("anonymous_id", "user_id", "identified_at")
    )
    w = Window.partitionBy("anonymous_id").orderBy("identified_at", "user_id")
    return (
        earlier.unionByName(ids).withColumn("_n", F.row_number().over(w)).where("_n = 1").drop("_n")
    )


def write_events(
    lake: str,
    params: Params,
    parsed: DataFrame,
    cleaned: DataFrame,
    ids: DataFrame,
    late: DataFrame,
) -> dict[str, dict[str, int]]:
    """Write the clean events, the range's new identities, the late events and the
    quarantined lines; rows per output and day."""
    days = params.days
    first_line = parsed.groupBy("source_file").agg(F.min("line_id").alias("first_line_id"))
    return {
        "clean_events": write(cleaned, f"{lake}/events/clean_events", days),
        "identities": write(
            ids.withColumn("dt", F.to_date("identified_at")).where(_in_range(params)),
            f"{lake}/events/identities",
            days,
        ),
        "late_events": write(late, f"{lake}/events/late_events", days),
        "quarantine": write(
            quarantine(parsed, first_line), f"{lake}/quarantine/segment/messages", days
        ),
    }


def write_sessions(
    spark: SparkSession, lake: str, params: Params, pool: DataFrame, events: DataFrame
) -> dict[str, dict[str, int]]:
    """Write app and site sessions of ``pool`` (the clean events as written, the day before
    the range included) and daily site traffic from the site sessions as written and the
    range's ``events``; rows per output and day."""
    days = params.days
    sessions = {
        "app_sessions": app_sessions(pool, params.session_gap_minutes),
        "site_sessions": site_sessions(pool, params.session_gap_minutes),
    }
    outputs = {}
    for name, frame in sessions.items():
        outputs[name] = write(frame.where(_in_range(params)), f"{lake}/events/{name}", days)
    site_s = read_days(spark, f"{lake}/events/site_sessions", days, sessions["site_sessions"])
    outputs["site_traffic_daily"] = write(
        site_traffic_daily(site_s, events), f"{lake}/events/site_traffic_daily", days
    )
    return outputs


def run_stats(
    parsed: DataFrame, events: DataFrame, dups: DataFrame, already: int, outputs: dict
) -> dict:
    """The run's counts: lines and quarantined lines per landed file, clean events written
    per file, duplicates, bots, and ``outputs`` (rows per output and day)."""
    per_file = (
        parsed.groupBy("source_file", "stream", "arrival_date")
        .agg(
            F.count("*").alias("lines"),
            F.sum(F.col("reason").isNotNull().cast("int")).alias("quarantined"),
        )
        .collect()
    )
    written = {
        r["source_file"]: r["count"] for r in events.groupBy("source_file").count().collect()
    }
    return {
        "files": len(per_file),
        "lines": sum(r["lines"] for r in per_file),
        "quarantined": sum(r["quarantined"] for r in per_file),
        "duplicates": (dups.agg(F.sum("extra_copies")).first()[0] or 0) + already,
        "bots": events.where("is_bot").select("anonymous_id").distinct().count(),
        "per_file": [
            {
                "source_file": r["source_file"],
                "stream": r["stream"],
                "dt": r["arrival_date"],
                "lines": r["lines"],
                "quarantined": r["quarantined"],
                "written": written.get(r["source_file"], 0),
            }
            for r in per_file
        ],
        "outputs": outputs,
    }
