with scores as (
    select * from {{ ref('fct_churn_scores') }}
),

accounts as (
    select * from {{ ref('dim_accounts') }}
),

last_scored as (
    select max(as_of_date) as as_of_date from scores
),

latest as (
    select scores.* from scores
    inner join last_scored on scores.as_of_date = last_scored.as_of_date
),

final as (
    select
        latest.account_id,
        latest.as_of_date,
        latest.churn_score,
        latest.risk_band,
        latest.reason_1,
        latest.reason_2,
        latest.reason_3,
        latest.model_version,
        accounts.acquisition_channel,
        accounts.plan_code,
        accounts.billing_interval,
        latest.mrr as mrr_at_risk,
        latest.expected_mrr_loss
    from latest
    left join accounts on latest.account_id = accounts.account_id
    where latest.risk_band in ('high', 'medium')
)

select * from final
