with source as (
    select * from {{ source('app_db', 'images') }}
),

renamed as (
    select
        id as image_id,
        site_id,
        account_id,
        size_bytes,
        width,
        height,
        created_at,
        updated_at,
        deleted_at,
        deleted_at is not null as is_deleted
    from source
),

final as (
    select * from renamed
    qualify row_number() over (partition by image_id order by updated_at desc) = 1
)

select * from final
