with source as (
    select * from {{ source('ops', 'task_runs') }}
),

attempts as (
    select
        run_id,
        dag_id,
        task_id,
        try_number,
        window_start,
        window_end,
        state as task_state,
        started_at,
        finished_at,
        seconds as duration_seconds,
        rows_processed,
        error as error_message,
        count(*) over (partition by run_id, task_id) as attempts
    from source
),

final as (
    select * from attempts
    qualify row_number() over (partition by run_id, task_id order by try_number desc) = 1
)

select * from final
