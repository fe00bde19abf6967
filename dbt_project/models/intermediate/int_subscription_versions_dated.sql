-- each subscription version with the dates it was in force: [valid_from, valid_to)
with versions as (
    select * from {{ ref('stg_stripe__subscription_versions') }}
),

final as (
    select
        *,
        version_date as valid_from,
        lead(version_date) over (
            partition by subscription_id order by version_date
        ) as valid_to
    from versions
)

select * from final
