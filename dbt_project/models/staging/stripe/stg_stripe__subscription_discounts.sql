-- the discounts of each subscription version
with source as (
    select * from {{ source('stripe', 'subscription_discount') }}
),

final as (
    select
        discount_id,
        subscription_id,
        dt as version_date,
        coupon_id,
        promotion_code_id,
        start_at,
        end_at
    from source
)

select * from final
