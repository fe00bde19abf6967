-- MRR per account 30 days after each labelled as-of date (the finance MRR definition)
with subscription_mrr as (
    {{ subscription_mrr(ref('int_churn_label_dates'), 'as_of_date') }}
),

final as (
    select
        account_id,
        as_of_date,
        max(measured_on) as label_date,
        sum(mrr_cents) / 100 as mrr_after_30d
    from subscription_mrr
    where account_id is not null
    group by all
)

select * from final
