{{ config(store_failures=true, schema="audit") }}
-- Each invoice's amounts reconcile with what Stripe sent: the subtotal is the sum of its
-- lines (of the same version), and total = subtotal - discount + tax.
with invoices as (
    select * from {{ ref('fct_invoices') }}
),

stripe_invoices as (
    select * from {{ ref('stg_stripe__invoices') }}
),

lines as (
    select
        invoice_id,
        version_date,
        sum(amount_cents) as line_amount_cents
    from {{ ref('stg_stripe__invoice_lines') }}
    group by all
),

compared as (
    select
        invoices.invoice_id,
        invoices.subtotal,
        invoices.total,
        invoices.discount,
        invoices.tax,
        {{ cents_to_units('lines.line_amount_cents') }} as line_amount
    from invoices
    inner join stripe_invoices on invoices.invoice_id = stripe_invoices.invoice_id
    left join lines
        on
            stripe_invoices.invoice_id = lines.invoice_id
            and stripe_invoices.version_date = lines.version_date
),

final as (
    select
        *,
        case
            when line_amount is null then 'no lines'
            when subtotal != line_amount then 'subtotal is not the sum of the lines'
            else 'total is not subtotal - discount + tax'
        end as problem
    from compared
    where
        line_amount is null
        or subtotal != line_amount
        or total != subtotal - coalesce(discount, 0) + coalesce(tax, 0)
)

select * from final
