with source as (
    select * from {{ source('stripe', 'product') }}
),

renamed as (
    select
        product_id,
        name as product_name,
        product_type,
        is_active,
        is_deleted,
        created_at,
        dt as version_date
    from source
),

final as (
    select * from renamed
    qualify row_number() over (partition by product_id order by version_date desc) = 1
)

select * from final
