{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        pre_hook="{{ delete_event_window('session_date') }}",
        on_schema_change='fail',
    )
}}
-- one row per app session (30 minutes of inactivity ends one), by start day
with sessions as (
    select * from {{ ref('stg_events__app_sessions') }}
),

final as (
    select
        session_id,
        account_id,
        {{ pii_hash('user_id') }} as user_hash,
        started_at,
        ended_at,
        session_date,
        duration_seconds,
        event_count,
        page_count,
        entry_page,
        referrer,
        utm_campaign
    from sessions
    where {{ in_event_window('session_date') }}
)

select * from final
