{#- A salted SHA-256 of a PII value (emails lowercased): marts carry this, never the value.
    The salt comes from FOLIO_PII_SALT (settings), so hashes cannot be looked up by
    hashing a known address without it. -#}
{% macro pii_hash(column) -%}
    sha256('{{ env_var("FOLIO_PII_SALT", "folio-dev-salt") }}' || lower(trim({{ column }})))
{%- endmacro %}
