-- MRR per account on each churn as-of date (the same MRR definition as the finance marts)
with subscription_mrr as (
    {{ subscription_mrr(ref('int_churn_as_of_dates'), 'as_of_date') }}
),

final as (
    select
        account_id,
        as_of_date,
        sum(mrr_cents) / 100 as mrr,
        bool_or(subscription_status = 'past_due') as is_past_due,
        count(*) filter (where is_counted) as counted_subscriptions
    from subscription_mrr
    where account_id is not null
    group by all
)

select * from final
