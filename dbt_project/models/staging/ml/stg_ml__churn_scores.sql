with source as (
    select * from {{ source('ml', 'churn_scores') }}
),

final as (
    select
        account_id,
        as_of_date,
        score as churn_score,
        risk_band,
        reason_1,
        reason_2,
        reason_3,
        model_version
    from source
    where as_of_date <= cast('{{ var("interval_end") }}' as date)
)

select * from final
