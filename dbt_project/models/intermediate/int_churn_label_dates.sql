-- the day each churn as-of date is labelled on: 30 days later, only when that day is
-- inside the data interval (a label never looks past what the run knows)
with as_of_dates as (
    select * from {{ ref('int_churn_as_of_dates') }}
),

final as (
    select
        as_of_date,
        cast(as_of_date + interval 30 day as date) as measured_on
    from as_of_dates
    where as_of_date + interval 30 day <= cast('{{ var("interval_end") }}' as date)
)

select * from final
