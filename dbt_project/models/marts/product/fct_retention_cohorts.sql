-- one row per first-paid-month cohort and month offset (0 = the first paid month): logo
-- retention (accounts still paying / cohort size) and net revenue retention (the cohort's
-- MRR / its MRR in month 0)
with account_mrr as (
    select * from {{ ref('int_account_mrr_monthly') }}
),

by_offset as (
    select
        first_paid_month as cohort_month,
        datediff('month', first_paid_month, month_start) as month_offset,
        count(*) filter (where mrr > 0) as retained_accounts,
        sum(mrr) as cohort_mrr
    from account_mrr
    group by all
),

cohort_start as (
    select
        cohort_month,
        retained_accounts as cohort_accounts,
        cohort_mrr as starting_mrr
    from by_offset
    where month_offset = 0
),

final as (
    select
        by_offset.cohort_month,
        by_offset.month_offset,
        cohort_start.cohort_accounts,
        by_offset.retained_accounts,
        cast(by_offset.cohort_mrr as decimal(18, 2)) as cohort_mrr,
        cast(cohort_start.starting_mrr as decimal(18, 2)) as starting_mrr,
        by_offset.retained_accounts / cohort_start.cohort_accounts as logo_retention,
        cast(by_offset.cohort_mrr / nullif(cohort_start.starting_mrr, 0) as double)
            as net_revenue_retention
    from by_offset
    inner join cohort_start on by_offset.cohort_month = cohort_start.cohort_month
)

select * from final
