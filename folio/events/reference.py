"""The same sessionization as ``spark_jobs.sessionize``, written in DuckDB SQL.

A second, independent implementation: the test oracle for the Spark job on generated
data with edge cases, and the benchmark peer. It reads the same Segment JSON lines,
keeps the usable messages, de-duplicates by messageId (first delivery), corrects the event
time for clock skew, flags bots (user agent, page views per minute), stitches anonymous
app activity to users, and cuts sessions at ``gap`` minutes of inactivity. Not the
quarantine or the late-event bookkeeping: those are the Spark job's own.
"""

from __future__ import annotations

import duckdb

from spark_jobs.sessionize import BOT_AGENTS

TS = "'%Y-%m-%dT%H:%M:%S.%gZ'"

COLUMNS = {
    "messageId": "VARCHAR",
    "type": "VARCHAR",
    "anonymousId": "VARCHAR",
    "userId": "VARCHAR",
    "event": "VARCHAR",
    "name": "VARCHAR",
    "timestamp": "VARCHAR",
    "originalTimestamp": "VARCHAR",
    "sentAt": "VARCHAR",
    "receivedAt": "VARCHAR",
    "context": "JSON",
    "properties": "JSON",
}

EVENTS_SQL = """
create or replace temp table events as
with raw as (
    select * from read_json({files}, format = 'newline_delimited', ignore_errors = true,
                            columns = {columns}, filename = true)
),
usable as (
    select
        *,
        try_strptime(receivedAt, {ts}) as received_at,
        try_strptime(sentAt, {ts}) as sent_at,
        try_strptime(originalTimestamp, {ts}) as original_timestamp,
        try_strptime("timestamp", {ts}) as message_timestamp
    from raw
    where messageId is not null
        and type in ('track', 'page', 'identify')
        and "timestamp" is not null and receivedAt is not null
        and (anonymousId is not null or userId is not null)
        and (type <> 'track' or event is not null)
        and try_strptime("timestamp", {ts}) is not null
        and try_strptime(receivedAt, {ts}) is not null
),
unique_messages as (
    select * from usable
    qualify row_number() over (partition by messageId order by received_at, filename) = 1
),
timed as (
    select
        *,
        case when sent_at is not null and original_timestamp is not null
            then received_at - (sent_at - original_timestamp)
            else message_timestamp end as event_at,
        case when filename like '%portfolio-sites%' then 'sites' else 'app' end as stream
    from unique_messages
),
busy as (
    select distinct anonymousId
    from timed
    where type = 'page'
    group by anonymousId, date_trunc('minute', event_at)
    having count(*) >= {bot_rate}
),
identities as (
    select anonymousId, arg_min(userId, (identified_at, userId)) as user_id
    from (
        select anonymousId, userId, min(event_at) as identified_at
        from timed
        where stream = 'app' and anonymousId is not null and userId is not null
        group by all
    )
    group by anonymousId
)
select
    t.messageId as message_id,
    t.stream,
    t.type as message_type,
    t.anonymousId as anonymous_id,
    coalesce(t.userId, i.user_id) as stitched_user_id,
    json_extract_string(t.properties, '$.account_id') as account_id,
    json_extract_string(t.properties, '$.site_id') as site_id,
    t.event_at,
    json_extract_string(t.context, '$.page.path') as page_path,
    nullif(json_extract_string(t.context, '$.page.referrer'), '') as referrer,
    json_extract_string(t.context, '$.campaign.name') as utm_campaign,
    coalesce(regexp_matches(json_extract_string(t.context, '$.userAgent'), '{bot_agents}'),
             false)
        or b.anonymousId is not null as is_bot
from timed t
left join identities i on t.anonymousId = i.anonymousId
left join busy b on t.anonymousId = b.anonymousId
"""

SESSIONS_SQL = """
with keyed as (
    select *, {key} as session_key from events where {where}
),
marked as (
    select
        *,
        case when lag(event_at) over w is null
            or epoch_us(event_at) - epoch_us(lag(event_at) over w) >= {gap_us}
            then 1 else 0 end as is_new
    from keyed
    window w as (partition by session_key order by event_at, message_id)
),
numbered as (
    select
        *,
        sum(is_new) over (partition by session_key order by event_at, message_id
                          rows between unbounded preceding and current row) as seq
    from marked
)
select
    session_key,
    min(event_at) as started_at,
    max(event_at) as ended_at,
    count(*) as event_count,
    sum(case when message_type = 'page' then 1 else 0 end) as page_count,
    first(page_path order by event_at, message_id) filter (where message_type = 'page')
        as entry_page,
    first(referrer order by event_at, message_id) as referrer,
    first(utm_campaign order by event_at, message_id) filter (where utm_campaign is not null)
        as utm_campaign,
    first(site_id order by event_at, message_id) filter (where site_id is not null)
        as site_id,
    first(anonymous_id order by event_at, message_id) filter (where anonymous_id is not null)
        as anonymous_id,
    first(stitched_user_id order by event_at, message_id)
        filter (where stitched_user_id is not null) as user_id,
    first(account_id order by event_at, message_id) filter (where account_id is not null)
        as account_id
from numbered
group by session_key, seq
"""


def _sessions(con: duckdb.DuckDBPyConnection, key: str, where: str, gap_minutes: int) -> str:
    body = SESSIONS_SQL.format(key=key, where=where, gap_us=gap_minutes * 60_000_000)
    return f"""
        select
            substr(sha256(concat_ws('|', session_key, epoch_us(started_at)::varchar)), 1, 32)
                as session_id,
            *,
            (epoch_us(ended_at) - epoch_us(started_at)) / 1e6 as duration_seconds,
            started_at::date as dt
        from ({body})
    """


def reference_sessions(
    files: list[str], gap_minutes: int = 30, bot_pages_per_minute: int = 30
) -> dict[str, duckdb.DuckDBPyRelation]:
    """Clean events, app sessions and site sessions of the given Segment files."""
    con = duckdb.connect()
    con.execute("set timezone = 'UTC'")
    con.execute(
        EVENTS_SQL.format(
            files=repr(files),
            columns=repr(COLUMNS),
            ts=TS,
            bot_rate=bot_pages_per_minute,
            bot_agents=BOT_AGENTS,
        )
    )
    app = con.sql(
        _sessions(
            con,
            "coalesce(stitched_user_id, 'anon:' || anonymous_id)",
            "stream = 'app' and not is_bot",
            gap_minutes,
        )
    )
    sites = con.sql(
        _sessions(
            con,
            "concat_ws('|', site_id, anonymous_id)",
            "stream = 'sites' and not is_bot and site_id is not null",
            gap_minutes,
        )
    )
    return {"events": con.table("events"), "app_sessions": app, "site_sessions": sites}
