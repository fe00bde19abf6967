{{ config(store_failures=true, schema="audit") }}
-- The MRR identity, for every account and month: starting MRR + new + reactivation +
-- expansion + contraction + churned = ending MRR, and each month starts where the last ended.
with movements as (
    select * from {{ ref('fct_mrr_movements') }}
),

broken_sum as (
    select
        account_id,
        month,
        'movements do not add up' as problem
    from movements
    where
        starting_mrr + new_mrr + reactivation_mrr + expansion_mrr + contraction_mrr
        + churned_mrr != ending_mrr
),

broken_chain as (
    select
        account_id,
        month,
        'starting MRR is not the previous ending MRR' as problem
    from (
        select
            *,
            lag(ending_mrr) over (partition by account_id order by month) as previous_ending
        from movements
    ) as chained
    where previous_ending is not null and starting_mrr != previous_ending
),

final as (
    select * from broken_sum
    union all
    select * from broken_chain
)

select * from final
