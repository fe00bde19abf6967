with source as (
    select * from {{ source('stripe', 'coupon') }}
),

renamed as (
    select
        coupon_id,
        name as coupon_name,
        percent_off,
        amount_off as amount_off_cents,
        lower(currency) as currency,
        duration,
        duration_in_months,
        is_valid,
        is_deleted,
        created_at,
        dt as version_date
    from source
),

final as (
    select * from renamed
    qualify row_number() over (partition by coupon_id order by version_date desc) = 1
)

select * from final
