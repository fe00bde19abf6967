{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        pre_hook="{{ delete_event_window('activity_date') }}",
        on_schema_change='fail',
    )
}}
-- one row per day and product feature: accounts that used the feature in the 28 days ending
-- that day, accounts active in the app (an app session) in those days, and their ratio.
-- A nightly run recomputes the days of its event window, each from the 28 days before it.
with feature_events as (
    select
        account_id,
        event_date,
        case event_name
            when 'Image Uploaded' then 'upload_images'
            when 'Site Published' then 'publish_site'
            when 'Gallery Shared' then 'share_gallery'
            when 'Theme Changed' then 'change_theme'
            when 'Invite Sent' then 'invite_client'
            when 'Domain Connected' then 'connect_domain'
        end as feature
    from {{ ref('stg_events__events') }}
    where
        stream = 'app'
        and message_type = 'track'
        and account_id is not null
        and event_date <= {{ event_window_end() }}
        and {{ since_event_window('event_date', 28) }}
),

used as (
    select distinct
        account_id,
        event_date,
        feature
    from feature_events
    where feature is not null
),

active as (
    select distinct
        account_id,
        session_date
    from {{ ref('stg_events__app_sessions') }}
    where
        account_id is not null
        and session_date <= {{ event_window_end() }}
        and {{ since_event_window('session_date', 28) }}
),

days as (
    {{ activity_days('active', 'session_date') }}
),

features as (
    select unnest([
        'upload_images', 'publish_site', 'share_gallery',
        'change_theme', 'invite_client', 'connect_domain'
    ]) as feature
),

active_28d as (
    select
        days.activity_date,
        count(distinct active.account_id) as active_accounts_28d
    from days
    left join active
        on
            days.activity_date >= active.session_date
            and active.session_date > days.activity_date - 28
    group by days.activity_date
),

used_28d as (
    select
        days.activity_date,
        used.feature,
        count(distinct used.account_id) as accounts_using_28d
    from days
    inner join used
        on
            days.activity_date >= used.event_date
            and used.event_date > days.activity_date - 28
    group by days.activity_date, used.feature
),

final as (
    select
        active_28d.activity_date,
        features.feature,
        coalesce(used_28d.accounts_using_28d, 0) as accounts_using_28d,
        active_28d.active_accounts_28d,
        coalesce(
            coalesce(used_28d.accounts_using_28d, 0) / nullif(active_28d.active_accounts_28d, 0),
            0
        ) as adoption_rate
    from active_28d
    cross join features
    left join used_28d
        on
            active_28d.activity_date = used_28d.activity_date
            and features.feature = used_28d.feature
)

select * from final
