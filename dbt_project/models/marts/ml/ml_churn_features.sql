-- one row per paying account (MRR above zero) per as-of date: what was known about it on
-- that date and nothing later (every input is cut at the as-of date; the `*_last_seen_at`
-- columns let a test prove it). Training labels are added by the churn model.
with as_of_mrr as (
    select * from {{ ref('int_account_mrr_as_of') }}
),

accounts as (
    select * from {{ ref('stg_app_db__accounts') }}
),

subscriptions as (
    select * from {{ ref('fct_subscriptions') }}
),

sessions as (
    select * from {{ ref('stg_events__app_sessions') }}
),

sites as (
    select * from {{ ref('stg_app_db__portfolio_sites') }}
),

site_sessions as (
    select * from {{ ref('stg_events__site_sessions') }}
),

images as (
    select * from {{ ref('stg_app_db__images') }}
),

charges as (
    select
        charges.*,
        customers.account_id
    from {{ ref('stg_stripe__charges') }} as charges
    inner join {{ ref('stg_stripe__customers') }} as customers
        on charges.customer_id = customers.customer_id
),

paying as (
    select
        account_id,
        as_of_date,
        mrr,
        is_past_due,
        lag(mrr, 4) over (partition by account_id order by as_of_date) as mrr_28_days_before
    from as_of_mrr
),

plan_in_force as (
    select
        paying.account_id,
        paying.as_of_date,
        max(subscriptions.billing_interval) as billing_interval,
        bool_or(subscriptions.cancel_at_period_end) as is_cancel_scheduled,
        min(subscriptions.start_at) as first_subscription_at
    from paying
    inner join subscriptions
        on
            paying.account_id = subscriptions.account_id
            and paying.as_of_date >= subscriptions.valid_from
            and (subscriptions.valid_to is null or paying.as_of_date < subscriptions.valid_to)
    group by all
),

app_activity as (
    select
        paying.account_id,
        paying.as_of_date,
        count(*) filter (where sessions.session_date > paying.as_of_date - 7) as sessions_7d,
        count(*) filter (where sessions.session_date > paying.as_of_date - 28) as sessions_28d,
        max(sessions.started_at) as session_last_seen_at
    from paying
    inner join sessions
        on
            paying.account_id = sessions.account_id
            and paying.as_of_date >= sessions.session_date
            and sessions.started_at < paying.as_of_date + interval 1 day
    group by all
),

site_traffic as (
    select
        paying.account_id,
        paying.as_of_date,
        count(*) as site_sessions_28d,
        max(site_sessions.started_at) as site_visit_last_seen_at
    from paying
    inner join sites on paying.account_id = sites.account_id
    inner join site_sessions
        on
            sites.site_id = site_sessions.site_id
            and site_sessions.session_date > paying.as_of_date - 28
            and site_sessions.started_at < paying.as_of_date + interval 1 day
    group by all
),

uploads as (
    select
        paying.account_id,
        paying.as_of_date,
        count(*) as images_total,
        count(*) filter (where images.created_at >= paying.as_of_date - 27) as images_28d,
        max(images.created_at) as image_last_seen_at
    from paying
    inner join images
        on
            paying.account_id = images.account_id
            and images.created_at < paying.as_of_date + interval 1 day
    group by all
),

payments as (
    select
        paying.account_id,
        paying.as_of_date,
        count(*) filter (where charges.charge_status = 'failed') as failed_charges_90d,
        max(charges.created_at) as charge_last_seen_at
    from paying
    inner join charges
        on
            paying.account_id = charges.account_id
            and charges.created_at >= paying.as_of_date - 89
            and charges.created_at < paying.as_of_date + interval 1 day
    group by all
),

final as (
    select
        paying.account_id,
        paying.as_of_date,
        cast(paying.mrr as decimal(18, 2)) as mrr,
        cast(coalesce(paying.mrr - paying.mrr_28_days_before, 0) as decimal(18, 2))
            as mrr_change_28d,
        paying.is_past_due,
        coalesce(plan_in_force.is_cancel_scheduled, false) as is_cancel_scheduled,
        coalesce(plan_in_force.billing_interval, 'unknown') as billing_interval,
        coalesce(accounts.acquisition_channel, 'unknown') as acquisition_channel,
        coalesce(accounts.country, 'unknown') as country,
        datediff('day', cast(accounts.signed_up_at as date), paying.as_of_date) as tenure_days,
        datediff('day', cast(plan_in_force.first_subscription_at as date), paying.as_of_date)
            as subscription_age_days,
        coalesce(app_activity.sessions_7d, 0) as sessions_7d,
        coalesce(app_activity.sessions_28d, 0) as sessions_28d,
        coalesce(
            datediff('day', cast(app_activity.session_last_seen_at as date), paying.as_of_date),
            -1
        ) as days_since_last_session,
        coalesce(site_traffic.site_sessions_28d, 0) as site_sessions_28d,
        coalesce(uploads.images_total, 0) as images_total,
        coalesce(uploads.images_28d, 0) as images_28d,
        coalesce(payments.failed_charges_90d, 0) as failed_charges_90d,
        app_activity.session_last_seen_at,
        site_traffic.site_visit_last_seen_at,
        uploads.image_last_seen_at,
        payments.charge_last_seen_at
    from paying
    inner join accounts on paying.account_id = accounts.account_id
    left join plan_in_force
        on
            paying.account_id = plan_in_force.account_id
            and paying.as_of_date = plan_in_force.as_of_date
    left join app_activity
        on
            paying.account_id = app_activity.account_id
            and paying.as_of_date = app_activity.as_of_date
    left join site_traffic
        on
            paying.account_id = site_traffic.account_id
            and paying.as_of_date = site_traffic.as_of_date
    left join uploads
        on
            paying.account_id = uploads.account_id
            and paying.as_of_date = uploads.as_of_date
    left join payments
        on
            paying.account_id = payments.account_id
            and paying.as_of_date = payments.as_of_date
    where paying.mrr > 0
)

select * from final
