with task_runs as (
    select * from {{ ref('stg_ops__task_runs') }}
),

final as (
    select
        run_id,
        dag_id,
        task_id,
        window_start,
        window_end,
        task_state,
        attempts,
        started_at,
        finished_at,
        duration_seconds,
        rows_processed,
        error_message,
        datediff('day', window_start, window_end) + 1 as window_days,
        min(started_at) over (partition by run_id) as run_started_at,
        max(case when task_state = 'failed' then 1 else 0 end) over (partition by run_id) = 1
            as run_had_failure
    from task_runs
)

select * from final
