with source as (
    select * from {{ source('events', 'site_traffic_daily') }}
),

final as (
    select
        try_cast(site_id as bigint) as site_id,
        dt as traffic_date,
        visitors,
        sessions,
        page_views,
        bounced_sessions,
        bounce_rate,
        avg_session_seconds,
        bot_page_views
    from source
)

select * from final
