with source as (
    select * from {{ source('stripe', 'customer') }}
),

renamed as (
    select
        customer_id,
        try_cast(folio_account_id as bigint) as account_id,
        email,
        name as customer_name,
        country,
        lower(currency) as currency,
        balance as balance_cents,
        is_delinquent,
        is_deleted,
        created_at,
        dt as version_date
    from source
),

final as (
    select * from renamed
    qualify row_number() over (partition by customer_id order by version_date desc) = 1
)

select * from final
