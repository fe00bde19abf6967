-- one row per month: MRR, ARR (12 x MRR), paying accounts, the movements' totals and the
-- logo churn rate (accounts that churned / accounts paying at the month's start)
with movements as (
    select * from {{ ref('fct_mrr_movements') }}
),

totals as (
    select
        month,
        max(measured_on) as measured_on,
        cast(sum(ending_mrr) as decimal(18, 2)) as mrr,
        cast(12 * sum(ending_mrr) as decimal(18, 2)) as arr,
        count(*) filter (where ending_mrr > 0) as paying_accounts,
        cast(sum(starting_mrr) as decimal(18, 2)) as starting_mrr,
        cast(sum(new_mrr) as decimal(18, 2)) as new_mrr,
        cast(sum(reactivation_mrr) as decimal(18, 2)) as reactivation_mrr,
        cast(sum(expansion_mrr) as decimal(18, 2)) as expansion_mrr,
        cast(sum(contraction_mrr) as decimal(18, 2)) as contraction_mrr,
        cast(sum(churned_mrr) as decimal(18, 2)) as churned_mrr,
        count(*) filter (where starting_mrr > 0) as starting_paying_accounts,
        count(*) filter (where movement_type = 'new') as new_accounts,
        count(*) filter (where movement_type = 'reactivation') as reactivated_accounts,
        count(*) filter (where movement_type = 'churn') as churned_accounts
    from movements
    group by month
),

final as (
    select
        *,
        cast(churned_accounts / nullif(starting_paying_accounts, 0) as double)
            as logo_churn_rate
    from totals
)

select * from final
