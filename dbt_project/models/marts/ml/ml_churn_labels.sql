with features as (
    select * from {{ ref('ml_churn_features') }}
),

label_dates as (
    select * from {{ ref('int_churn_label_dates') }}
),

after_30d as (
    select * from {{ ref('int_account_mrr_after_30d') }}
),

final as (
    select
        features.account_id,
        features.as_of_date,
        label_dates.measured_on as label_date,
        cast(coalesce(after_30d.mrr_after_30d, 0) as decimal(18, 2)) as mrr_after_30d,
        coalesce(after_30d.mrr_after_30d, 0) = 0 as churned_within_30d
    from features
    inner join label_dates on features.as_of_date = label_dates.as_of_date
    left join after_30d
        on
            features.account_id = after_30d.account_id
            and features.as_of_date = after_30d.as_of_date
)

select * from final
