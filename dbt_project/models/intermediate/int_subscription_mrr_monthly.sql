-- MRR of each subscription at each month's measuring date (the metric, defined once):
-- the version in force that day; active and past_due count, trialing and the rest zero;
-- items normalized to a month; discounts in force that day applied (percent first, then
-- amounts per month of the billing interval; a `once` coupon lasts one interval); tax is
-- not in a price and refunds do not touch it
{{ subscription_mrr(ref('int_month_ends'), 'month_start') }}
