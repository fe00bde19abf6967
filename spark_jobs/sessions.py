"""Clean events -> sessions and daily site traffic (PySpark): pure ``DataFrame ->
DataFrame`` functions.
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F


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
    """Sessions in the app per user (or anonymous device), bots left out."""
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
    """Visits per portfolio site and visitor, bots left out; one page view: a bounce."""
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
