-- each item of each subscription version as a monthly amount: price x quantity, a yearly
-- price /12, a weekly one x52/12, a daily one x365/12 (per interval count); unknown
-- intervals give null (a test names them)
with items as (
    select * from {{ ref('stg_stripe__subscription_items') }}
),

final as (
    select
        subscription_id,
        version_date,
        subscription_item_id,
        price_id,
        product_id,
        currency,
        recurring_interval,
        recurring_interval_count,
        quantity,
        unit_amount_cents,
        {{ months_per_interval('recurring_interval', 'recurring_interval_count') }}
            as months_per_interval,
        unit_amount_cents * quantity
        / {{ months_per_interval('recurring_interval', 'recurring_interval_count') }}
            as monthly_amount_cents
    from items
)

select * from final
