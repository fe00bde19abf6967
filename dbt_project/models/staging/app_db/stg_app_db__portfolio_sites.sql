with source as (
    select * from {{ source('app_db', 'portfolio_sites') }}
),

renamed as (
    select
        id as site_id,
        account_id,
        subdomain,
        custom_domain,
        theme,
        status as site_status,
        published_at,
        created_at,
        updated_at,
        deleted_at,
        deleted_at is not null as is_deleted
    from source
),

final as (
    select * from renamed
    qualify row_number() over (partition by site_id order by updated_at desc) = 1
)

select * from final
