with results as (
    select * from {{ ref('stg_ops__quality_results') }}
),

final as (
    select
        run_id,
        stage,
        tool,
        suite,
        asset,
        check_name,
        severity,
        check_status,
        observed,
        unexpected_count,
        message,
        recorded_at,
        check_status in ('fail', 'error') as is_failed,
        severity = 'critical' and check_status in ('fail', 'error') as is_blocking
    from results
)

select * from final
