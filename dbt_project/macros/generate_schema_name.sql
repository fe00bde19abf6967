{#- Schemas are the layer names (staging, intermediate, marts), not target_layer. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {{ custom_schema_name or target.schema }}
{%- endmacro %}
