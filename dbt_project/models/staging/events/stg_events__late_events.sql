with source as (
    select * from {{ source('events', 'late_events') }}
),

final as (
    select
        message_id,
        stream,
        source_file,
        event_at,
        received_at,
        reason,
        dt as arrival_date
    from source
)

select * from final
