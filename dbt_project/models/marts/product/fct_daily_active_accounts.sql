{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        pre_hook="{{ delete_event_window('activity_date') }}",
        on_schema_change='fail',
    )
}}
-- one row per day: accounts with an app session that day (DAU), in the 7 and 30 days
-- ending that day (WAU, MAU), and stickiness = DAU / MAU. A nightly run recomputes the
-- days of its event window, each from the 30 days of sessions ending on it.
with active as (
    select distinct
        account_id,
        session_date
    from {{ ref('stg_events__app_sessions') }}
    where
        account_id is not null
        and session_date <= {{ event_window_end() }}
        -- a nightly run's days look back 30 days, no further
        and {{ since_event_window('session_date', 30) }}
),

days as (
    {{ activity_days('active', 'session_date') }}
),

final as (
    select
        days.activity_date,
        count(distinct active.account_id) filter (
            where active.session_date = days.activity_date
        ) as daily_active_accounts,
        count(distinct active.account_id) filter (
            where active.session_date > days.activity_date - 7
        ) as weekly_active_accounts,
        count(distinct active.account_id) as monthly_active_accounts,
        coalesce(
            count(distinct active.account_id) filter (
                where active.session_date = days.activity_date
            ) / nullif(count(distinct active.account_id), 0),
            0
        ) as stickiness
    from days
    left join active
        on
            days.activity_date >= active.session_date
            and active.session_date > days.activity_date - 30
    group by days.activity_date
)

select * from final
