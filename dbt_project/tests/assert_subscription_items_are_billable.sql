{{ config(store_failures=true, schema="audit") }}
-- Bad Stripe input is named, never converted: an item with a price interval MRR cannot
-- normalize, a negative amount or quantity, or a currency the platform does not handle.
with items as (
    select * from {{ ref('int_subscription_items_normalized') }}
),

final as (
    select
        subscription_item_id,
        subscription_id,
        version_date,
        case
            when months_per_interval is null
                then 'unknown price interval: ' || coalesce(recurring_interval, 'null')
            when unit_amount_cents < 0 then 'negative unit amount: ' || unit_amount_cents
            when quantity < 0 then 'negative quantity: ' || quantity
            else 'unhandled currency: ' || coalesce(currency, 'null')
        end as problem
    from items
    where
        months_per_interval is null
        or unit_amount_cents < 0
        or quantity < 0
        or currency is null
        or currency not in ({{ "'" ~ var('handled_currencies') | join("', '") ~ "'" }})
)

select * from final
