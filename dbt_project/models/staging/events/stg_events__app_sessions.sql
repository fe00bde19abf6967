with source as (
    select * from {{ source('events', 'app_sessions') }}
),

final as (
    select
        session_id,
        try_cast(account_id as bigint) as account_id,
        user_id,
        anonymous_id,
        started_at,
        ended_at,
        dt as session_date,
        duration_seconds,
        event_count,
        page_count,
        entry_page,
        referrer,
        utm_campaign
    from source
)

select * from final
