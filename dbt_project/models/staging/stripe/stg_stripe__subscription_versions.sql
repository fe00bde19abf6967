-- every daily version of every subscription (the day it changed); history is built on it
with source as (
    select * from {{ source('stripe', 'subscription') }}
),

final as (
    select
        subscription_id,
        dt as version_date,
        customer_id,
        try_cast(folio_account_id as bigint) as account_id,
        status as subscription_status,
        lower(currency) as currency,
        collection_method,
        cancel_at_period_end,
        created_at,
        start_at,
        trial_start_at,
        trial_end_at,
        cancel_at,
        canceled_at,
        ended_at,
        current_period_start_at,
        current_period_end_at,
        latest_invoice_id
    from source
)

select * from final
