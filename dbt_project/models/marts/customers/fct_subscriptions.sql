-- subscription history: one row per subscription per period a version was in force
-- [valid_from, valid_to); "what was the plan on date X": valid_from <= X < valid_to
with versions as (
    select * from {{ ref('int_subscription_versions_dated') }}
),

items as (
    select
        subscription_id,
        version_date,
        string_agg(distinct price_id, ',' order by price_id) as price_ids,
        string_agg(distinct product_id, ',' order by product_id) as product_ids,
        min(recurring_interval) as billing_interval,
        sum(monthly_amount_cents) / 100.0 as list_monthly_amount
    from {{ ref('int_subscription_items_normalized') }}
    group by all
),

final as (
    select
        versions.subscription_id,
        versions.version_date,
        versions.account_id,
        versions.customer_id,
        versions.subscription_status,
        versions.currency,
        items.price_ids,
        items.product_ids,
        items.billing_interval,
        items.list_monthly_amount,
        versions.cancel_at_period_end,
        versions.start_at,
        versions.trial_end_at,
        versions.canceled_at,
        versions.ended_at,
        versions.valid_from,
        versions.valid_to,
        versions.valid_to is null as is_current
    from versions
    left join items
        on
            versions.subscription_id = items.subscription_id
            and versions.version_date = items.version_date
)

select * from final
