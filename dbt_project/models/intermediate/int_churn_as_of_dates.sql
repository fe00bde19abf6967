-- the as-of dates of the churn features: the interval end and every 7 days before it,
-- back to the first subscription (many as-of dates for training; the last one is scored)
with bounds as (
    select
        min(version_date) as first_day,
        cast('{{ var("interval_end") }}' as date) as last_day
    from {{ ref('stg_stripe__subscription_versions') }}
),

days as (
    select
        cast(
            unnest(generate_series(
                bounds.last_day - to_days(
                    cast(datediff('day', bounds.first_day, bounds.last_day) // 7 * 7 as integer)
                ),
                bounds.last_day,
                interval 7 day
            )) as date
        ) as as_of_date
    from bounds
    where bounds.first_day is not null
),

final as (
    select
        as_of_date,
        as_of_date as measured_on
    from days
)

select * from final
