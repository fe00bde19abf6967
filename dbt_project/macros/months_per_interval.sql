{#- How many months one billing interval lasts (Stripe's interval x interval_count). -#}
{% macro months_per_interval(interval, interval_count) -%}
    (case {{ interval }}
        when 'month' then 1.0
        when 'year' then 12.0
        when 'week' then 12.0 / 52
        when 'day' then 12.0 / 365
    end * coalesce({{ interval_count }}, 1))
{%- endmacro %}
