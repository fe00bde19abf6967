-- the lines of each invoice version
with source as (
    select * from {{ source('stripe', 'invoice_line') }}
),

final as (
    select
        invoice_line_id,
        invoice_id,
        dt as version_date,
        line_type,
        subscription_id,
        subscription_item_id,
        price_id,
        product_id,
        quantity,
        amount as amount_cents,
        discount_amount as discount_cents,
        tax_amount as tax_cents,
        is_proration,
        lower(currency) as currency,
        period_start_at,
        period_end_at
    from source
)

select * from final
