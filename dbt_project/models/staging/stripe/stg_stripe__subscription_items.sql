-- the items of each subscription version (a child of the subscription's daily version)
with source as (
    select * from {{ source('stripe', 'subscription_item') }}
),

final as (
    select
        subscription_item_id,
        subscription_id,
        dt as version_date,
        price_id,
        product_id,
        quantity,
        unit_amount as unit_amount_cents,
        lower(currency) as currency,
        recurring_interval,
        recurring_interval_count,
        created_at
    from source
)

select * from final
