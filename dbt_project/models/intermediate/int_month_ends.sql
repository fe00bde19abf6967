-- one row per month from the first subscription to the run's interval end; a month is
-- measured at its last day, the month of the interval end at the interval end itself
with bounds as (
    select
        date_trunc('month', min(version_date)) as first_month,
        date_trunc('month', cast('{{ var("interval_end") }}' as date)) as last_month
    from {{ ref('stg_stripe__subscription_versions') }}
),

months as (
    select
        cast(
            unnest(generate_series(bounds.first_month, bounds.last_month, interval 1 month))
            as date
        ) as month_start
    from bounds
    where bounds.first_month is not null
),

final as (
    select
        month_start,
        least(
            last_day(month_start), cast('{{ var("interval_end") }}' as date)
        ) as measured_on
    from months
)

select * from final
