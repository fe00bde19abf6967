-- one row per signup week and acquisition channel: accounts that signed up, then created
-- a site, uploaded 10 images, published and paid, each step within 30 days of signup and
-- after the steps before it; a week is complete once its last signup has had 30 days
with milestones as (
    select * from {{ ref('int_account_milestones') }}
),

steps as (
    select
        cast(date_trunc('week', signed_up_at) as date) as signup_week,
        coalesce(acquisition_channel, 'unknown') as acquisition_channel,
        first_site_at <= signed_up_at + interval 30 day as has_site,
        tenth_image_at <= signed_up_at + interval 30 day as has_images,
        first_published_at <= signed_up_at + interval 30 day as has_published,
        first_paid_at <= signed_up_at + interval 30 day as has_paid
    from milestones
    where signed_up_at is not null
),

reached as (
    select
        signup_week,
        acquisition_channel,
        coalesce(has_site, false) as step_site,
        coalesce(has_site and has_images, false) as step_images,
        coalesce(has_site and has_images and has_published, false) as step_published,
        coalesce(has_site and has_images and has_published and has_paid, false) as step_paid
    from steps
),

final as (
    select
        signup_week,
        acquisition_channel,
        count(*) as signed_up,
        count(*) filter (where step_site) as created_site,
        count(*) filter (where step_images) as uploaded_10_images,
        count(*) filter (where step_published) as published,
        count(*) filter (where step_paid) as paid,
        count(*) filter (where step_paid) / count(*) as signup_to_paid_rate,
        cast(signup_week + interval 37 day as date)
        <= cast('{{ var("interval_end") }}' as date) as is_complete
    from reached
    group by all
)

select * from final
