with source as (
    select * from {{ source('stripe', 'charge') }}
),

renamed as (
    select
        charge_id,
        customer_id,
        invoice_id,
        amount as amount_cents,
        amount_captured as amount_captured_cents,
        amount_refunded as amount_refunded_cents,
        lower(currency) as currency,
        status as charge_status,
        is_paid,
        is_refunded,
        is_disputed,
        failure_code,
        created_at,
        dt as version_date
    from source
),

final as (
    select * from renamed
    qualify row_number() over (partition by charge_id order by version_date desc) = 1
)

select * from final
