{#-
    MRR of each subscription on each measuring day (the metric, defined once):
    the version in force that day; active and past_due count, trialing and the rest zero;
    items normalized to a month; discounts in force that day applied (percent first, then
    amounts per month of the billing interval; a `once` coupon lasts one interval); tax is
    not in a price and refunds do not touch it
    `dates`: a relation of measuring days (column measured_on, plus the key column
    `key`, which the result keeps: month_start for month ends, as_of_date for features).
-#}
{% macro subscription_mrr(dates, key) %}
with measuring_dates as (
    select
        {{ key }},
        measured_on
    from {{ dates }}
),

versions as (
    select * from {{ ref('int_subscription_versions_dated') }}
),

items as (
    select * from {{ ref('int_subscription_items_normalized') }}
),

discounts as (
    select * from {{ ref('stg_stripe__subscription_discounts') }}
),

coupons as (
    select * from {{ ref('stg_stripe__coupons') }}
),

in_force as (
    select
        measuring_dates.{{ key }},
        measuring_dates.measured_on,
        versions.subscription_id,
        versions.version_date,
        versions.account_id,
        versions.currency,
        versions.subscription_status,
        versions.subscription_status in ('active', 'past_due') as is_counted
    from measuring_dates
    inner join versions
        on
            versions.valid_from <= measuring_dates.measured_on
            and (versions.valid_to is null or versions.valid_to > measuring_dates.measured_on)
),

gross as (
    select
        in_force.subscription_id,
        in_force.{{ key }},
        sum(items.monthly_amount_cents) as gross_cents,
        max(items.months_per_interval) as months_per_interval
    from in_force
    inner join items
        on
            in_force.subscription_id = items.subscription_id
            and in_force.version_date = items.version_date
    group by all
),

discount_in_force as (
    select
        in_force.subscription_id,
        in_force.{{ key }},
        coalesce(exp(sum(ln(1 - coupons.percent_off / 100.0))), 1.0) as percent_factor,
        coalesce(sum(coupons.amount_off_cents), 0) as amount_off_cents
    from in_force
    inner join discounts
        on
            in_force.subscription_id = discounts.subscription_id
            and in_force.version_date = discounts.version_date
    inner join coupons on discounts.coupon_id = coupons.coupon_id
    left join gross
        on
            in_force.subscription_id = gross.subscription_id
            and in_force.{{ key }} = gross.{{ key }}
    where
        cast(discounts.start_at as date) <= in_force.measured_on
        and (discounts.end_at is null or cast(discounts.end_at as date) > in_force.measured_on)
        and (
            coupons.duration != 'once'
            or in_force.measured_on < cast(discounts.start_at as date)
            + to_months(cast(coalesce(gross.months_per_interval, 1) as integer))
        )
    group by all
),

final as (
    select
        in_force.subscription_id,
        in_force.{{ key }},
        in_force.measured_on,
        in_force.account_id,
        in_force.currency,
        in_force.subscription_status,
        in_force.is_counted,
        coalesce(gross.gross_cents, 0) as gross_monthly_cents,
        case
            when not in_force.is_counted then 0
            else greatest(
                coalesce(gross.gross_cents, 0) * coalesce(discount_in_force.percent_factor, 1.0)
                - coalesce(discount_in_force.amount_off_cents, 0)
                / coalesce(gross.months_per_interval, 1),
                0
            )
        end as mrr_cents
    from in_force
    left join gross
        on
            in_force.subscription_id = gross.subscription_id
            and in_force.{{ key }} = gross.{{ key }}
    left join discount_in_force
        on
            in_force.subscription_id = discount_in_force.subscription_id
            and in_force.{{ key }} = discount_in_force.{{ key }}
)

select * from final
{% endmacro %}
