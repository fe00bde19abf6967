with source as (
    select * from {{ source('ops', 'quality_results') }}
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
        status as check_status,
        observed,
        unexpected_count,
        message,
        recorded_at
    from source
)

select * from final
