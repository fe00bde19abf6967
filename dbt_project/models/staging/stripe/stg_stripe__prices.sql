with source as (
    select * from {{ source('stripe', 'price') }}
),

renamed as (
    select
        price_id,
        product_id,
        lower(currency) as currency,
        unit_amount as unit_amount_cents,
        price_type,
        recurring_interval,
        recurring_interval_count,
        lookup_key,
        nickname,
        is_active,
        is_deleted,
        created_at,
        dt as version_date
    from source
),

final as (
    select * from renamed
    qualify row_number() over (partition by price_id order by version_date desc) = 1
)

select * from final
