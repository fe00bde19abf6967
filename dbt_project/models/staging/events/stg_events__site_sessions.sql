with source as (
    select * from {{ source('events', 'site_sessions') }}
),

final as (
    select
        session_id,
        try_cast(site_id as bigint) as site_id,
        anonymous_id as visitor_id,
        started_at,
        ended_at,
        dt as session_date,
        duration_seconds,
        event_count,
        page_count,
        is_bounce,
        entry_page,
        referrer,
        utm_campaign
    from source
)

select * from final
