-- the latest version of each invoice
with source as (
    select * from {{ source('stripe', 'invoice') }}
),

renamed as (
    select
        invoice_id,
        customer_id,
        subscription_id,
        status as invoice_status,
        billing_reason,
        collection_method,
        lower(currency) as currency,
        number as invoice_number,
        amount_due as amount_due_cents,
        amount_paid as amount_paid_cents,
        amount_remaining as amount_remaining_cents,
        subtotal as subtotal_cents,
        total as total_cents,
        total_excluding_tax as total_excluding_tax_cents,
        tax_amount as tax_cents,
        discount_amount as discount_cents,
        attempt_count,
        created_at,
        period_start_at,
        period_end_at,
        due_at,
        finalized_at,
        paid_at,
        voided_at,
        marked_uncollectible_at,
        dt as version_date
    from source
),

final as (
    select * from renamed
    qualify row_number() over (partition by invoice_id order by version_date desc) = 1
)

select * from final
