with source as (
    select * from {{ source('app_db', 'plans') }}
),

renamed as (
    select
        id as plan_id,
        code as plan_code,
        name as plan_name,
        monthly_price_cents,
        yearly_price_cents,
        max_images,
        created_at,
        updated_at
    from source
),

final as (
    select * from renamed
    qualify row_number() over (partition by plan_id order by updated_at desc) = 1
)

select * from final
