with records as (
    select * from {{ ref('stg_ops__quarantined_records') }}
),

final as (
    select
        delivery_date,
        source_name,
        table_name,
        reason_category,
        count(*) as quarantined_rows,
        min(reason) as example_reason,
        count(distinct source_file) as source_files
    from records
    group by delivery_date, source_name, table_name, reason_category
)

select * from final
