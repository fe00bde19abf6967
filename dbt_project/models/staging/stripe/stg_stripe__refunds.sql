with source as (
    select * from {{ source('stripe', 'refund') }}
),

renamed as (
    select
        refund_id,
        charge_id,
        amount as amount_cents,
        lower(currency) as currency,
        status as refund_status,
        reason as refund_reason,
        created_at,
        dt as version_date
    from source
),

final as (
    select * from renamed
    qualify row_number() over (partition by refund_id order by version_date desc) = 1
)

select * from final
