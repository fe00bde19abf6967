-- one row per invoice (its latest version), amounts in currency units
with invoices as (
    select * from {{ ref('stg_stripe__invoices') }}
),

customers as (
    select * from {{ ref('stg_stripe__customers') }}
),

charges as (
    select
        invoice_id,
        sum(amount_refunded_cents) as refunded_cents
    from {{ ref('stg_stripe__charges') }}
    where invoice_id is not null
    group by all
),

final as (
    select
        invoices.invoice_id,
        customers.account_id,
        invoices.subscription_id,
        invoices.invoice_status,
        invoices.billing_reason,
        invoices.currency,
        cast(invoices.created_at as date) as invoice_date,
        invoices.period_start_at,
        invoices.period_end_at,
        invoices.paid_at,
        invoices.invoice_status = 'paid' as is_paid,
        {{ cents_to_units('invoices.subtotal_cents') }} as subtotal,
        {{ cents_to_units('invoices.discount_cents') }} as discount,
        {{ cents_to_units('invoices.tax_cents') }} as tax,
        {{ cents_to_units('invoices.total_cents') }} as total,
        {{ cents_to_units('invoices.total_excluding_tax_cents') }} as total_excluding_tax,
        {{ cents_to_units('invoices.amount_paid_cents') }} as amount_paid,
        {{ cents_to_units('coalesce(charges.refunded_cents, 0)') }} as amount_refunded
    from invoices
    left join customers on invoices.customer_id = customers.customer_id
    left join charges on invoices.invoice_id = charges.invoice_id
)

select * from final
