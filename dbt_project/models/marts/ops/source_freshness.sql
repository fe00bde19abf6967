with results as (
    select * from {{ ref('stg_ops__quality_results') }}
    where suite = 'source_freshness'
),

final as (
    select
        run_id,
        asset as source_table,
        check_status,
        severity,
        try_cast(observed as timestamp) as max_loaded_at,
        recorded_at as checked_at,
        datediff('minute', try_cast(observed as timestamp), recorded_at) / 60.0 as age_hours
    from results
)

select * from final
