-- rows hard-deleted in the app database (found by the weekly key comparison)
with source as (
    select * from {{ source('app_db', 'deleted_rows') }}
),

final as (
    select
        table_name,
        id as row_id,
        detected_on as detected_date
    from source
)

select * from final
