with scores as (
    select * from {{ ref('stg_ml__churn_scores') }}
),

features as (
    select * from {{ ref('ml_churn_features') }}
),

final as (
    select
        scores.account_id,
        scores.as_of_date,
        scores.churn_score,
        scores.risk_band,
        scores.reason_1,
        scores.reason_2,
        scores.reason_3,
        scores.model_version,
        features.mrr,
        cast(features.mrr * scores.churn_score as decimal(18, 2)) as expected_mrr_loss
    from scores
    left join features
        on
            scores.account_id = features.account_id
            and scores.as_of_date = features.as_of_date
)

select * from final
