-- one row per account: when it reached each activation step (null: not yet)
with accounts as (
    select * from {{ ref('stg_app_db__accounts') }}
),

sites as (
    select
        account_id,
        min(created_at) as first_site_at,
        min(published_at) as first_published_at
    from {{ ref('stg_app_db__portfolio_sites') }}
    group by all
),

images as (
    -- the tenth upload (deleted later or not: the upload happened)
    select
        account_id,
        created_at as tenth_image_at
    from {{ ref('stg_app_db__images') }}
    qualify row_number() over (partition by account_id order by created_at, image_id) = 10
),

customers as (
    select * from {{ ref('stg_stripe__customers') }}
),

paid as (
    select
        customers.account_id,
        min(invoices.paid_at) as first_paid_at
    from {{ ref('stg_stripe__invoices') }} as invoices
    inner join customers on invoices.customer_id = customers.customer_id
    where invoices.invoice_status = 'paid' and invoices.amount_paid_cents > 0
    group by all
),

final as (
    select
        accounts.account_id,
        accounts.acquisition_channel,
        accounts.signed_up_at,
        sites.first_site_at,
        images.tenth_image_at,
        sites.first_published_at,
        paid.first_paid_at
    from accounts
    left join sites on accounts.account_id = sites.account_id
    left join images on accounts.account_id = images.account_id
    left join paid on accounts.account_id = paid.account_id
)

select * from final
