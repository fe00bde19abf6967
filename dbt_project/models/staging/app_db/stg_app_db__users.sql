with source as (
    select * from {{ source('app_db', 'users') }}
),

renamed as (
    select
        id as user_id,
        account_id,
        email,
        full_name,
        role as user_role,
        last_login_at,
        created_at,
        updated_at,
        deleted_at,
        deleted_at is not null as is_deleted
    from source
),

final as (
    select * from renamed
    qualify row_number() over (partition by user_id order by updated_at desc) = 1
)

select * from final
