-- the raw text is left behind: it may hold emails or IPs
with source as (
    select * from {{ source('quarantine', 'quarantined_records') }}
),

final as (
    select
        source as source_name,
        table_name,
        dt as delivery_date,
        source_file,
        line_number,
        record_id,
        reason,
        trim(split_part(reason, ':', 1)) as reason_category
    from source
    where dt <= cast('{{ var("interval_end") }}' as date)
)

select * from final
