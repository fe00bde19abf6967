{{ config(store_failures=true, schema="audit") }}
-- No churn feature may use anything dated after its as-of date (a leak would let the
-- model learn from the future).
with features as (
    select * from {{ ref('ml_churn_features') }}
),

final as (
    select
        account_id,
        as_of_date,
        greatest(
            session_last_seen_at, site_visit_last_seen_at, image_last_seen_at, charge_last_seen_at
        ) as newest_input_at
    from features
    where
        greatest(
            session_last_seen_at, site_visit_last_seen_at, image_last_seen_at, charge_last_seen_at
        ) >= as_of_date + interval 1 day
)

select * from final
