-- MRR per account per month, dense from the account's first month with MRR to the last
-- month (a month at zero in between is a row: churn and reactivation need it)
with subscription_mrr as (
    select * from {{ ref('int_subscription_mrr_monthly') }}
),

month_ends as (
    select * from {{ ref('int_month_ends') }}
),

by_account as (
    select
        account_id,
        month_start,
        sum(mrr_cents) as mrr_cents
    from subscription_mrr
    where account_id is not null
    group by all
),

first_paid as (
    select
        account_id,
        min(month_start) as first_paid_month
    from by_account
    where mrr_cents > 0
    group by all
),

final as (
    select
        first_paid.account_id,
        month_ends.month_start,
        month_ends.measured_on,
        first_paid.first_paid_month,
        cast(round(coalesce(by_account.mrr_cents, 0)) / 100 as decimal(18, 2)) as mrr
    from first_paid
    inner join month_ends on first_paid.first_paid_month <= month_ends.month_start
    left join by_account
        on
            first_paid.account_id = by_account.account_id
            and month_ends.month_start = by_account.month_start
)

select * from final
