"""Segment events -> clean events and sessions (PySpark).

Each step is a pure ``DataFrame -> DataFrame`` function (tested on tiny frames); ``run``
wires them: read the lines received in ``[start - lookback, end]``, parse, quarantine,
de-duplicate, time, flag bots, stitch identities, sessionize, write. Only built-in Spark
SQL functions are used (no Python UDFs), so executors on a cluster need no Python code
of ours.

Days: a message's *arrival day* is its ``receivedAt`` day (the landing partition); its
*event day* is the day of its event time (Segment's clock-skew correction,
``receivedAt - (sentAt - originalTimestamp)``). Outputs are partitioned by event day
(sessions: by the day they start); a run rewrites the event days ``[start - lookback,
end]``. A message whose event day lies before that range arrived too late to be placed:
it goes to ``late_events`` (counted, visible), never silently away.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from pyspark import StorageLevel
from pyspark.sql import Column, DataFrame, SparkSession, Window
from pyspark.sql import functions as F
from pyspark.sql import types as T

CORRUPT = "_corrupt_record"

_PAGE = T.StructType(
    [
        T.StructField("path", T.StringType()),
        T.StructField("referrer", T.StringType()),
        T.StructField("url", T.StringType()),
        T.StructField("title", T.StringType()),
        T.StructField("search", T.StringType()),
    ]
)
_CAMPAIGN = T.StructType(
    [
        T.StructField("name", T.StringType()),
        T.StructField("source", T.StringType()),
        T.StructField("medium", T.StringType()),
    ]
)
_CONTEXT = T.StructType(
    [
        T.StructField("ip", T.StringType()),
        T.StructField("userAgent", T.StringType()),
        T.StructField("locale", T.StringType()),
        T.StructField("timezone", T.StringType()),
        T.StructField("page", _PAGE),
        T.StructField("campaign", _CAMPAIGN),
        T.StructField(
            "library",
            T.StructType(
                [T.StructField("name", T.StringType()), T.StructField("version", T.StringType())]
            ),
        ),
    ]
)
# The Segment Spec's common fields plus track/page/identify's own; times stay strings here
# and are parsed explicitly (a bad one is a reason, not a silent null).
MESSAGE_SCHEMA = T.StructType(
    [
        T.StructField("messageId", T.StringType()),
        T.StructField("type", T.StringType()),
        T.StructField("anonymousId", T.StringType()),
        T.StructField("userId", T.StringType()),
        T.StructField("event", T.StringType()),
        T.StructField("name", T.StringType()),
        T.StructField("timestamp", T.StringType()),
        T.StructField("originalTimestamp", T.StringType()),
        T.StructField("sentAt", T.StringType()),
        T.StructField("receivedAt", T.StringType()),
        T.StructField("context", _CONTEXT),
        T.StructField("properties", T.StringType()),  # kept as JSON text
        T.StructField("traits", T.StringType()),
        T.StructField(CORRUPT, T.StringType()),
    ]
)
TYPES = ("track", "page", "identify")
BOT_AGENTS = r"(?i)(bot|crawl|spider|slurp|python-requests|curl/|wget|headless|httpclient)"
TS_FORMAT = "yyyy-MM-dd'T'HH:mm:ss.SSSX"
# frames reused by several outputs are cached on local disk, not on the heap: the driver's
# memory (FOLIO_SPARK_DRIVER_MEMORY) then bounds nothing but the working set of a task
CACHE = StorageLevel.DISK_ONLY


def _ts(col: str) -> Column:
    """An ISO-8601 time (Segment's millisecond UTC form); null if it does not parse."""
    return F.try_to_timestamp(F.col(col), F.lit(TS_FORMAT))


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


# ---------------------------------------------------------------- parse and quarantine
def parse(lines: DataFrame) -> DataFrame:
    """Raw lines (value, source_file, line_id, arrival_date, stream) -> parsed messages.

    PERMISSIVE parsing with a corrupt-record column: a malformed line keeps its text in
    ``_corrupt_record``; ``reason`` says why a line cannot be used (null: it can).
    """
    j = F.from_json(
        "value", MESSAGE_SCHEMA, {"mode": "PERMISSIVE", "columnNameOfCorruptRecord": CORRUPT}
    )
    df = lines.select("*", j.alias("m")).select(
        "value", "source_file", "line_id", "arrival_date", "stream", "m.*"
    )
    ts = {c: _ts(c) for c in ("timestamp", "receivedAt")}
    checks: list[tuple[Column, str]] = [
        (F.col(CORRUPT).isNotNull() | F.col("messageId").isNull() & F.col("type").isNull()
         & F.col("receivedAt").isNull(), "unparseable JSON"),
        (F.col("messageId").isNull(), "missing required field messageId"),
        (F.col("type").isNull(), "missing required field type"),
        (~F.col("type").isin(*TYPES), "unknown message type"),
        (F.col("timestamp").isNull(), "missing required field timestamp"),
        (F.col("receivedAt").isNull(), "missing required field receivedAt"),
        (F.col("anonymousId").isNull() & F.col("userId").isNull(),
         "missing required field anonymousId|userId"),
        ((F.col("type") == "track") & F.col("event").isNull(), "missing required field event"),
        (ts["timestamp"].isNull(), "unparseable timestamp"),
        (ts["receivedAt"].isNull(), "unparseable receivedAt"),
    ]  # fmt: skip
    reason = F.lit(None).cast("string")
    for cond, text in reversed(checks):  # the first matching rule wins
        reason = F.when(cond, F.lit(text)).otherwise(reason)
    return df.withColumn("reason", reason)


def quarantine(parsed: DataFrame, first_line: DataFrame) -> DataFrame:
    """Unusable lines with file, line number (from the file's first line id) and reason."""
    return (
        parsed.where(F.col("reason").isNotNull())
        .join(first_line, "source_file")
        .select(
            F.lit("segment").alias("source"),
            F.col("stream").alias("table_name"),
            "source_file",
            (F.col("line_id") - F.col("first_line_id") + 1).alias("line_number"),
            F.col("messageId").alias("record_id"),
            "reason",
            F.col("value").alias("raw"),
            F.col("arrival_date").alias("dt"),
        )
    )


# ---------------------------------------------------------------- clean events
def event_times(df: DataFrame) -> DataFrame:
    """Event time corrected for client clock skew, as Segment documents it.

    ``timestamp = receivedAt - (sentAt - originalTimestamp)``: the device's clock error
    cancels out of ``sentAt - originalTimestamp``. Without sentAt/originalTimestamp the
    message's own ``timestamp`` stands.
    """
    rec, sent, orig = _ts("receivedAt"), _ts("sentAt"), _ts("originalTimestamp")
    corrected = F.timestamp_micros(F.unix_micros(rec) - (F.unix_micros(sent) - F.unix_micros(orig)))
    return (
        df.withColumn("received_at", rec)
        .withColumn("sent_at", sent)
        .withColumn("original_timestamp", orig)
        .withColumn(
            "event_at",
            F.when(sent.isNotNull() & orig.isNotNull(), corrected).otherwise(_ts("timestamp")),
        )
        .withColumn(
            "clock_skew_seconds",
            (F.unix_micros(orig) - F.unix_micros(F.col("event_at"))) / 1e6,
        )
        .withColumn("event_date", F.to_date("event_at"))
    )


def duplicate_ids(df: DataFrame) -> DataFrame:
    """messageIds delivered more than once, with their number of extra copies."""
    return (
        df.groupBy("messageId")
        .count()
        .where(F.col("count") > 1)
        .select("messageId", (F.col("count") - 1).alias("extra_copies"))
    )


def deduplicate(df: DataFrame, dups: DataFrame | None = None) -> DataFrame:
    """One row per messageId: the copy received first (a retried delivery is a duplicate).

    Only the messages of a duplicated id (``dups``, from ``duplicate_ids``: few) are
    ranked; the rest pass through an anti-join with that small set, so the wide rows are
    never shuffled by messageId.
    """
    dups = duplicate_ids(df) if dups is None else dups
    ids = dups.select("messageId")
    w = Window.partitionBy("messageId").orderBy("received_at", "source_file", "line_id")
    first = (
        df.join(ids, "messageId", "left_semi")
        .withColumn("_n", F.row_number().over(w))
        .where("_n = 1")
        .drop("_n")
    )
    return df.join(ids, "messageId", "left_anti").unionByName(first)


def flag_bots(df: DataFrame, pages_per_minute: int) -> DataFrame:
    """``is_bot``: a crawler's user agent, or ``pages_per_minute`` page views in a minute."""
    minute = F.date_trunc("minute", "event_at")
    busy = (
        df.where(F.col("type") == "page")
        .groupBy("anonymousId", minute.alias("minute"))
        .count()
        .where(F.col("count") >= pages_per_minute)
        .select("anonymousId")
        .distinct()
        .withColumn("_rate_bot", F.lit(True))
    )
    return (
        df.join(busy, "anonymousId", "left")
        .withColumn(
            "is_bot",
            F.coalesce(F.col("context.userAgent").rlike(BOT_AGENTS), F.lit(False))
            | F.coalesce(F.col("_rate_bot"), F.lit(False)),
        )
        .drop("_rate_bot")
    )


def identities(app: DataFrame) -> DataFrame:
    """anonymous_id -> user_id from app messages carrying both (identify and later calls)."""
    w = Window.partitionBy("anonymous_id").orderBy("identified_at", "user_id")
    return (
        app.where(F.col("anonymousId").isNotNull() & F.col("userId").isNotNull())
        .groupBy(F.col("anonymousId").alias("anonymous_id"), F.col("userId").alias("user_id"))
        .agg(F.min("event_at").alias("identified_at"))
        .withColumn("_n", F.row_number().over(w))
        .where("_n = 1")  # a shared device: the first user identified on it
        .drop("_n")
    )


def stitch(events: DataFrame, ids: DataFrame) -> DataFrame:
    """``user_key``: the user, also for anonymous activity on a device later identified."""
    known = ids.select(
        F.col("anonymous_id").alias("anonymousId"), F.col("user_id").alias("_stitched")
    )
    return (
        events.join(known, "anonymousId", "left")
        .withColumn("stitched_user_id", F.coalesce("userId", "_stitched"))
        .drop("_stitched")
    )


def clean(df: DataFrame) -> DataFrame:
    """The clean-events columns (one row per message, partitioned by event day)."""
    props = F.col("properties")
    return df.select(
        F.col("messageId").alias("message_id"),
        "stream",
        F.col("type").alias("message_type"),
        F.coalesce("event", "name").alias("event_name"),
        F.col("anonymousId").alias("anonymous_id"),
        F.col("userId").alias("user_id"),
        "stitched_user_id",
        F.get_json_object(props, "$.account_id").alias("account_id"),
        F.get_json_object(props, "$.site_id").alias("site_id"),
        "event_at",
        "received_at",
        "sent_at",
        "original_timestamp",
        "clock_skew_seconds",
        "arrival_date",
        F.col("context.page.path").alias("page_path"),
        F.col("context.page.url").alias("page_url"),
        F.nullif(F.col("context.page.referrer"), F.lit("")).alias("referrer"),
        F.col("context.campaign.name").alias("utm_campaign"),
        F.col("context.campaign.source").alias("utm_source"),
        F.col("context.campaign.medium").alias("utm_medium"),
        F.col("context.userAgent").alias("user_agent"),
        "is_bot",
        F.col("properties").alias("properties_json"),
        "source_file",
        F.col("event_date").alias("dt"),
    )


# ---------------------------------------------------------------- sessions
def sessionize(events: DataFrame, key: Column, gap_minutes: int) -> DataFrame:
    """Sessions per ``key``: an event ``gap_minutes`` or more after the previous one starts
    a new session. One row per session with its start, end, counts and first touch."""
    w = Window.partitionBy("session_key").orderBy("event_at", "message_id")
    ev = events.withColumn("session_key", key)
    prev = F.lag("event_at").over(w)
    ev = ev.withColumn(
        "_new",
        F.when(
            prev.isNull()
            | (F.unix_micros("event_at") - F.unix_micros(prev) >= gap_minutes * 60_000_000),
            1,
        ).otherwise(0),
    ).withColumn("_seq", F.sum("_new").over(w.rowsBetween(Window.unboundedPreceding, 0)))
    first = F.struct("event_at", "message_id")
    is_page = F.col("message_type") == "page"
    return (
        ev.groupBy("session_key", "_seq")
        .agg(
            F.min("event_at").alias("started_at"),
            F.max("event_at").alias("ended_at"),
            F.count("*").alias("event_count"),
            F.sum(is_page.cast("int")).alias("page_count"),
            F.min_by("page_path", F.when(is_page, first)).alias("entry_page"),
            F.min_by("referrer", first).alias("referrer"),
            F.min_by("utm_campaign", F.when(F.col("utm_campaign").isNotNull(), first)).alias(
                "utm_campaign"
            ),
            # the first non-null value in event order (deterministic, unlike first())
            *(
                F.min_by(src, F.when(F.col(src).isNotNull(), first)).alias(name)
                for src, name in (
                    ("site_id", "site_id"),
                    ("anonymous_id", "anonymous_id"),
                    ("stitched_user_id", "user_id"),
                    ("account_id", "account_id"),
                )
            ),
        )
        .withColumn(
            "session_id",
            F.sha2(F.concat_ws("|", "session_key", F.unix_micros("started_at")), 256).substr(1, 32),
        )
        .withColumn(
            "duration_seconds",
            (F.unix_micros("ended_at") - F.unix_micros("started_at")) / 1e6,
        )
        .withColumn("dt", F.to_date("started_at"))
        .drop("_seq")
    )


def app_sessions(events: DataFrame, gap_minutes: int) -> DataFrame:
    app = events.where((F.col("stream") == "app") & ~F.col("is_bot"))
    key = F.coalesce("stitched_user_id", F.concat(F.lit("anon:"), "anonymous_id"))
    return sessionize(app, key, gap_minutes).select(
        "session_id",
        "user_id",
        "anonymous_id",
        "account_id",
        "started_at",
        "ended_at",
        "duration_seconds",
        "event_count",
        "page_count",
        "entry_page",
        "referrer",
        "utm_campaign",
        "dt",
    )


def site_sessions(events: DataFrame, gap_minutes: int) -> DataFrame:
    visits = events.where(
        (F.col("stream") == "sites") & ~F.col("is_bot") & F.col("site_id").isNotNull()
    )
    key = F.concat_ws("|", "site_id", "anonymous_id")
    return (
        sessionize(visits, key, gap_minutes)
        .withColumn("is_bounce", F.col("page_count") <= 1)
        .select(
            "session_id",
            "site_id",
            "anonymous_id",
            "started_at",
            "ended_at",
            "duration_seconds",
            "event_count",
            "page_count",
            "is_bounce",
            "entry_page",
            "referrer",
            "utm_campaign",
            "dt",
        )
    )


def site_traffic_daily(sessions: DataFrame, events: DataFrame) -> DataFrame:
    """Per portfolio site and day (of session start): visitors, sessions, views, bounces."""
    bots = (
        events.where((F.col("stream") == "sites") & F.col("is_bot") & F.col("site_id").isNotNull())
        .groupBy("site_id", "dt")
        .agg(F.count("*").alias("bot_page_views"))
    )
    return (
        sessions.groupBy("site_id", "dt")
        .agg(
            F.countDistinct("anonymous_id").alias("visitors"),
            F.count("*").alias("sessions"),
            F.sum("page_count").alias("page_views"),
            F.sum(F.col("is_bounce").cast("int")).alias("bounced_sessions"),
            F.avg("duration_seconds").alias("avg_session_seconds"),
        )
        .join(bots, ["site_id", "dt"], "full")
        .select(
            "site_id",
            F.coalesce("visitors", F.lit(0)).alias("visitors"),
            F.coalesce("sessions", F.lit(0)).alias("sessions"),
            F.coalesce("page_views", F.lit(0)).alias("page_views"),
            F.coalesce("bounced_sessions", F.lit(0)).alias("bounced_sessions"),
            (F.col("bounced_sessions") / F.col("sessions")).alias("bounce_rate"),
            "avg_session_seconds",
            F.coalesce("bot_page_views", F.lit(0)).alias("bot_page_views"),
            "dt",
        )
    )


# ---------------------------------------------------------------- wiring
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


OUTPUTS = ("clean_events", "app_sessions", "site_sessions", "site_traffic_daily", "identities")


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


def _partitions(files: Files, root: str, days: list[dt.date]) -> list[str]:
    """The existing partition folders ``<root>/dt=<day>`` of the given days."""
    return [f"{root}/dt={d}" for d in days if files.is_dir(f"{root}/dt={d}")]


def read_days(spark: SparkSession, root: str, days: list[dt.date], like: DataFrame) -> DataFrame:
    """The partitions ``days`` of ``root`` as written; none written: no rows, ``like``'s columns."""
    parts = _partitions(Files(spark), root, days)
    if not parts:
        return like.limit(0)
    return spark.read.option("basePath", root).parquet(*parts)


def written_rows(spark: SparkSession, path: str, days: list[dt.date]) -> dict[str, int]:
    """Rows per day in the partitions ``days`` of ``path`` as written (zeros included).

    Read back from the Parquet files (the row counts in their footers), not recomputed.
    """
    parts = _partitions(Files(spark), path, days)
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
    before = {part: files.names(part) for part in _partitions(files, path, days)}
    # one file per day (split past spark.sql.files.maxRecordsPerFile), not one per task and
    # day: every DuckDB read of the lake lists and opens each file of a year's partitions
    df.repartition("dt").write.mode("overwrite").partitionBy("dt").parquet(path)
    for part, names in before.items():
        if files.is_dir(part) and files.names(part) == names:
            files.remove(part)
    return written_rows(df.sparkSession, path, days)


def run(spark: SparkSession, landing: str, lake: str, params: Params) -> dict:
    """Process the arrival days ``[range_start, end]`` and rewrite their event days.

    The JSON is parsed once: the parsed, timed messages are staged as Parquet under
    ``<lake>/_staging`` (a path every executor reaches; removed at the end), and every
    later step reads the columns it needs from there. Sessions and daily traffic read
    the clean events and sessions back as written.
    """
    import os
    import time
    import uuid

    files = Files(spark)
    arrival_days = [
        params.range_start + dt.timedelta(days=k)
        for k in range((params.end - params.range_start).days + 1)
    ]
    paths = [
        f"{landing}/segment/dt={d}/*.jsonl.gz"
        for d in arrival_days
        if os.path.isdir(f"{landing}/segment/dt={d}")
    ]
    days = arrival_days  # the event days this run rewrites
    if not paths:  # no events at all: the range's partitions are emptied, zeros recorded
        roots = [f"{lake}/events/{t}" for t in (*OUTPUTS, "late_events")]
        for root in [*roots, f"{lake}/quarantine/segment/messages"]:
            for part in _partitions(files, root, days):
                files.remove(part)
        zero = {str(d): 0 for d in days}
        return {"files": 0, "lines": 0, "outputs": {t: dict(zero) for t in OUTPUTS}}
    _remove_stale_staging(files, f"{lake}/_staging")
    staging = f"{lake}/_staging/segment-{int(time.time())}-{uuid.uuid4().hex}"
    try:
        return _run(spark, paths, staging, lake, params, days)
    finally:
        files.remove(staging)


def _remove_stale_staging(files: Files, root: str, older_than_hours: float = 6) -> None:
    """Staging folders a killed run left behind (a live run's folder is younger: its name
    holds its start time, else its newest file's time tells)."""
    import re
    import time

    for name in files.names(root):
        started = re.fullmatch(r"segment-(\d+)-[0-9a-f]+", name)
        path = f"{root}/{name}"
        born = int(started.group(1)) if started else files.modified(path)
        if time.time() - born > older_than_hours * 3600:
            files.remove(path)


def _run(
    spark: SparkSession,
    paths: list[str],
    staging: str,
    lake: str,
    params: Params,
    days: list[dt.date],
) -> dict:
    # the raw line is kept only where it goes to quarantine: the staged frame stays slim
    event_times(parse(read_lines(spark, paths))).withColumn(
        "value", F.when(F.col("reason").isNotNull(), F.col("value"))
    ).drop(CORRUPT, "traits").write.parquet(staging)
    parsed = spark.read.parquet(staging)
    first_line = parsed.groupBy("source_file").agg(F.min("line_id").alias("first_line_id"))
    good = parsed.where(F.col("reason").isNull())
    dups = duplicate_ids(good).persist(CACHE)  # small: the ids delivered more than once
    unique = deduplicate(good, dups)
    # a message whose first copy arrived before this range was placed by an earlier run:
    # a later copy arriving inside the range is a duplicate too (else a run's result would
    # depend on where its range starts). Its first copy lies in the days just before the
    # range, as written; those are checked for its id.
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
    # a message later than the lookback (its event day lies more than lookback days before
    # its arrival) was in no run's range: it goes to late_events. One of an earlier event
    # day, but within the lookback, was placed by the run for its arrival day: skipped here.
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
    flagged = flag_bots(in_range, params.bot_pages_per_minute)
    ids = identities(flagged.where(F.col("stream") == "app")).persist(CACHE)
    known = ids
    ids_root = f"{lake}/events/identities"
    # (a folder can exist without files: runs whose days had no identify call)
    if Files(spark).any(f"{ids_root}/dt=*/*.parquet"):
        earlier = (
            spark.read.parquet(ids_root)
            .where(F.col("dt") < F.lit(params.range_start))
            .select("anonymous_id", "user_id", "identified_at")
        )
        w = Window.partitionBy("anonymous_id").orderBy("identified_at", "user_id")
        known = (
            earlier.unionByName(ids)
            .withColumn("_n", F.row_number().over(w))
            .where("_n = 1")
            .drop("_n")
        )
    events_root = f"{lake}/events/clean_events"
    in_days = F.col("dt").between(F.lit(params.range_start), F.lit(params.end))
    cleaned = clean(stitch(flagged, known))
    outputs = {
        "clean_events": write(cleaned, events_root, days),
        "identities": write(
            ids.withColumn("dt", F.to_date("identified_at")).where(in_days),
            f"{lake}/events/identities",
            days,
        ),
        "late_events": write(late, f"{lake}/events/late_events", days),
        "quarantine": write(
            quarantine(parsed, first_line), f"{lake}/quarantine/segment/messages", days
        ),
    }
    # sessions read the clean events as written, with the day before the range: sessions
    # that began then continue into it (that day's sessions are not rewritten)
    context_day = params.range_start - dt.timedelta(days=1)
    pool = read_days(spark, events_root, [context_day, *days], cleaned)
    events = pool.where(in_days)
    sessions = {
        "app_sessions": app_sessions(pool, params.session_gap_minutes),
        "site_sessions": site_sessions(pool, params.session_gap_minutes),
    }
    for name, frame in sessions.items():
        outputs[name] = write(frame.where(in_days), f"{lake}/events/{name}", days)
    site_s = read_days(spark, f"{lake}/events/site_sessions", days, sessions["site_sessions"])
    outputs["site_traffic_daily"] = write(
        site_traffic_daily(site_s, events), f"{lake}/events/site_traffic_daily", days
    )
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
    stats = {
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
    for df in (dups, ids):
        df.unpersist()
    return stats
