-- clean Segment events (one row per message); IPs were never kept, user agents stay here
with source as (
    select * from {{ source('events', 'clean_events') }}
),

final as (
    select
        message_id,
        stream,
        message_type,
        event_name,
        anonymous_id,
        user_id,
        stitched_user_id,
        try_cast(account_id as bigint) as account_id,
        try_cast(site_id as bigint) as site_id,
        event_at,
        received_at,
        dt as event_date,
        arrival_date,
        clock_skew_seconds,
        page_path,
        referrer,
        utm_campaign,
        utm_source,
        utm_medium,
        user_agent,
        is_bot
    from source
)

select * from final
