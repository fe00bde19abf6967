"""Segment messages -> clean events (PySpark): parse, quarantine, time, de-duplicate, flag
bots, stitch identities. Each step is a pure ``DataFrame -> DataFrame`` function.
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame, Window
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


def _ts(col: str) -> Column:
    """An ISO-8601 time (Segment's millisecond UTC form); null if it does not parse."""
    return F.try_to_timestamp(F.col(col), F.lit(TS_FORMAT))


# ---------------------------------------------------------------- parse and quarantine
def parse(lines: DataFrame) -> DataFrame:
    """Raw lines (value, source_file, line_id, arrival_date, stream) -> parsed messages.

    PERMISSIVE parsing with a corrupt-record column: a malformed line keeps its text in
    ``_corrupt_record``; ``reason`` says why a line cannot be used (null: it can).
    """
    message = F.from_json(
        "value", MESSAGE_SCHEMA, {"mode": "PERMISSIVE", "columnNameOfCorruptRecord": CORRUPT}
    )
    df = lines.select("*", message.alias("m")).select(
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
