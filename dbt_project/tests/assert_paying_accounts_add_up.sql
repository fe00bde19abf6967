{{ config(store_failures=true, schema="audit") }}
-- The accounts identity behind logo churn, for every month: accounts paying at the start
-- + new + reactivated - churned = accounts paying at the end; and each month starts with
-- the accounts the previous one ended with.
with monthly as (
    select * from {{ ref('mrr_monthly') }}
),

broken_sum as (
    select
        month,
        'paying accounts do not add up' as problem
    from monthly
    where
        starting_paying_accounts + new_accounts + reactivated_accounts - churned_accounts
        != paying_accounts
),

broken_chain as (
    select
        month,
        'starting paying accounts are not the previous month''s paying accounts' as problem
    from (
        select
            *,
            lag(paying_accounts) over (order by month) as previous_paying
        from monthly
    ) as chained
    where previous_paying is not null and starting_paying_accounts != previous_paying
),

final as (
    select * from broken_sum
    union all
    select * from broken_chain
)

select * from final
