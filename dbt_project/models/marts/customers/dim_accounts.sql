-- one row per account: who they are (no raw PII), how they came, what they pay now
with accounts as (
    select * from {{ ref('stg_app_db__accounts') }}
),

deleted as (
    select distinct row_id as account_id
    from {{ ref('stg_app_db__deleted_rows') }}
    where table_name = 'accounts'
),

account_mrr as (
    select
        account_id,
        first_paid_month,
        max_by(mrr, month_start) as current_mrr
    from {{ ref('int_account_mrr_monthly') }}
    group by all
),

final as (
    select
        accounts.account_id,
        {{ pii_hash('accounts.email') }} as email_hash,
        accounts.country,
        accounts.acquisition_channel,
        accounts.plan_code,
        accounts.billing_interval,
        accounts.account_status,
        accounts.stripe_customer_id,
        accounts.signed_up_at,
        cast(accounts.signed_up_at as date) as signed_up_date,
        account_mrr.first_paid_month,
        coalesce(account_mrr.current_mrr, 0) as current_mrr,
        accounts.is_deleted or deleted.account_id is not null as is_deleted
    from accounts
    left join deleted on accounts.account_id = deleted.account_id
    left join account_mrr on accounts.account_id = account_mrr.account_id
)

select * from final
