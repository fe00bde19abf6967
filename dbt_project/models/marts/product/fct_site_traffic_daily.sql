{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        pre_hook="{{ delete_event_window('traffic_date') }}",
        on_schema_change='fail',
    )
}}
-- one row per portfolio site per day with traffic: visitors, sessions, page views,
-- bounce rate and the top referrers of that day's sessions
with traffic as (
    select * from {{ ref('stg_events__site_traffic_daily') }}
    where {{ in_event_window('traffic_date') }}
),

referrers as (
    select
        site_id,
        session_date,
        coalesce(regexp_extract(referrer, '^[a-z]+://([^/]+)', 1), '(direct)') as referrer_host,
        count(*) as sessions
    from {{ ref('stg_events__site_sessions') }}
    where {{ in_event_window('session_date') }}
    group by all
),

top_referrers as (
    select
        site_id,
        session_date,
        string_agg(referrer_host, ', ' order by sessions desc, referrer_host asc) as top_referrers
    from (
        select
            *,
            row_number() over (
                partition by site_id, session_date order by sessions desc, referrer_host asc
            ) as referrer_rank
        from referrers
    ) as ranked
    where referrer_rank <= 3
    group by all
),

final as (
    select
        traffic.site_id,
        traffic.traffic_date,
        traffic.visitors,
        traffic.sessions,
        traffic.page_views,
        traffic.bounced_sessions,
        traffic.bounce_rate,
        traffic.avg_session_seconds,
        traffic.bot_page_views,
        top_referrers.top_referrers
    from traffic
    left join top_referrers
        on
            traffic.site_id = top_referrers.site_id
            and traffic.traffic_date = top_referrers.session_date
)

select * from final
