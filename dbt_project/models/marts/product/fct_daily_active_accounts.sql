-- one row per day: accounts with an app session that day (DAU), in the 7 and 30 days
-- ending that day (WAU, MAU), and stickiness = DAU / MAU
with active as (
    select distinct
        account_id,
        session_date
    from {{ ref('stg_events__app_sessions') }}
    where account_id is not null
),

days as (
    select cast(range as date) as activity_date
    from range(
        (select min(session_date) from active),
        (select max(session_date) from active) + interval 1 day,
        interval 1 day
    )
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
