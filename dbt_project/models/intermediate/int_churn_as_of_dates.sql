-- the as-of dates of the churn features: the interval end and every 7 days before it,
-- back to the first subscription (many as-of dates for training; the last one is scored)
with bounds as (
    select
        min(version_date) as first_day,
        cast('{{ var("interval_end") }}' as date) as last_day
    from {{ ref('stg_stripe__subscription_versions') }}
),

final as (
    select
        cast(bounds.last_day - to_days(cast(step * 7 as integer)) as date) as as_of_date,
        cast(bounds.last_day - to_days(cast(step * 7 as integer)) as date) as measured_on
    from bounds, range(0, 1 + coalesce(datediff('day', bounds.first_day, bounds.last_day) // 7, -1)) as steps (step)
)

select * from final
