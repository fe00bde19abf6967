{#- Stripe amounts are integer cents; marts carry currency units as exact decimals. -#}
{% macro cents_to_units(column) -%}
    cast({{ column }} / 100 as decimal(18, 2))
{%- endmacro %}
