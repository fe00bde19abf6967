-- current state of each account: the latest version the extracts have seen
with source as (
    select * from {{ source('app_db', 'accounts') }}
),

renamed as (
    select
        id as account_id,
        name as account_name,
        email,
        country,
        acquisition_channel,
        plan_code,
        billing_interval,
        status as account_status,
        stripe_customer_id,
        signed_up_at,
        created_at,
        updated_at,
        deleted_at,
        deleted_at is not null as is_deleted
    from source
),

final as (
    select * from renamed
    qualify row_number() over (partition by account_id order by updated_at desc) = 1
)

select * from final
