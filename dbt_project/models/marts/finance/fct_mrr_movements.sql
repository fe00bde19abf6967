-- one row per account per month from its first paid month: starting MRR, the movement
-- that took it to ending MRR, and the movement amounts (starting + movements = ending)
with account_mrr as (
    select * from {{ ref('int_account_mrr_monthly') }}
),

with_previous as (
    select
        account_id,
        month_start,
        measured_on,
        first_paid_month,
        coalesce(
            lag(mrr) over (partition by account_id order by month_start),
            cast(0 as decimal(18, 2))
        ) as starting_mrr,
        mrr as ending_mrr
    from account_mrr
),

classified as (
    select
        *,
        case
            when starting_mrr = 0 and ending_mrr > 0 and month_start = first_paid_month
                then 'new'
            when starting_mrr = 0 and ending_mrr > 0 then 'reactivation'
            when starting_mrr > 0 and ending_mrr = 0 then 'churn'
            when ending_mrr > starting_mrr then 'expansion'
            when ending_mrr < starting_mrr then 'contraction'
            else 'unchanged'
        end as movement_type
    from with_previous
),

final as (
    select
        account_id,
        month_start as month,
        measured_on,
        movement_type,
        starting_mrr,
        case when movement_type = 'new' then ending_mrr else 0 end as new_mrr,
        case when movement_type = 'reactivation' then ending_mrr else 0 end
            as reactivation_mrr,
        cast(
            case when movement_type = 'expansion' then ending_mrr - starting_mrr else 0 end
            as decimal(18, 2)
        ) as expansion_mrr,
        cast(
            case when movement_type = 'contraction' then ending_mrr - starting_mrr else 0 end
            as decimal(18, 2)
        ) as contraction_mrr,
        case when movement_type = 'churn' then -starting_mrr else 0 end as churned_mrr,
        ending_mrr
    from classified
)

select * from final
