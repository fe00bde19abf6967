{#-
    dbt-duckdb's `incremental` materialization, with a shortcut for the nightly runs of the
    event marts. It applies to an append into an existing table (incremental_strategy=
    'append', on_schema_change='fail', SQL, no grants, no sql_header); first builds,
    --full-refresh and every other case run the adapter's own materialization, unchanged.

    The adapter's path on a nightly append binds the model's query twice (a DESCRIBE for the
    contract, then a temporary table of its rows), makes seven metadata round trips (the
    constraints, the YAML's types, the temporary table's columns, the target's columns three
    times, the version) and rewrites every comment each run. The shortcut, in the same
    transaction as the pre-hook that deletes the window's old rows:
    1. computes the rows once, into a temporary table;
    2. reads the catalog once: the rows' columns, the table's columns and comments, and the
       contract's types as DuckDB spells them;
    3. fails as dbt would, with dbt's contract error (the rows' columns against the YAML's)
       or, on a difference from the table's columns, dbt's own schema-change check and its
       "out of sync" message; the transaction rolls back, so the deleted rows are back;
    4. inserts the rows and drops the temporary table;
    5. rewrites the comments only when one differs from the YAML (persist_docs).
    bench/bench_dbt_incremental.py measures it; tests/integration/test_dbt_incremental.py
    checks the rows (seven nightly runs = one full refresh) and each failure.
-#}
{% materialization incremental, adapter='duckdb', supported_languages=['sql', 'python'] -%}
    {%- set existing_relation = load_cached_relation(this) -%}
    {#- FOLIO_DBT_APPEND_SHORTCUT=false: the adapter's path for every run (a way out, and the
        bench's peer) -#}
    {%- if env_var('FOLIO_DBT_APPEND_SHORTCUT', 'true') | lower != 'false'
        and model['language'] == 'sql'
        and existing_relation is not none and existing_relation.is_table
        and not should_full_refresh()
        and config.get('incremental_strategy') == 'append'
        and config.get('on_schema_change') == 'fail'
        and not config.get('grants')
        and not config.get('sql_header') -%}
        {{ return(folio_append_in_place(existing_relation)) }}
    {%- endif -%}
    {{ return(dbt.materialization_incremental_duckdb()) }}
{%- endmaterialization %}


{% macro folio_append_in_place(target_relation) %}
    {%- set rows_relation = api.Relation.create(identifier=target_relation.identifier ~ '__dbt_rows') -%}
    {{ run_hooks(pre_hooks, inside_transaction=False) }}
    -- `BEGIN` happens here (the pre-hooks, which delete the window's old rows, run inside):
    {{ run_hooks(pre_hooks, inside_transaction=True) }}

    {#- the model's rows, bound and computed once -#}
    {% call statement('model_rows') %}
        create or replace temporary table {{ rows_relation }} as (
            {{ sql }}
        )
    {% endcall %}

    {#- one catalog read: the rows' columns, the table's with their comments, the table's
        comment, and the contract's columns as DuckDB spells their types -#}
    {%- set contract = config.get('contract').enforced -%}
    {%- set catalog -%}
        select 'rows' as kind, column_name, data_type, null as comment
        from duckdb_columns()
        where database_name = 'temp' and table_name = '{{ rows_relation.identifier }}'
        union all
        select 'table', column_name, data_type, comment
        from duckdb_columns()
        where database_name = '{{ target_relation.database }}'
            and schema_name = '{{ target_relation.schema }}'
            and table_name = '{{ target_relation.identifier }}'
        union all
        select 'table comment', '', null, comment
        from duckdb_tables()
        where database_name = '{{ target_relation.database }}'
            and schema_name = '{{ target_relation.schema }}'
            and table_name = '{{ target_relation.identifier }}'
        {%- if contract %}
        union all
        select 'contract', column_name, column_type, null
        from (describe {{ get_empty_schema_sql(model['columns']) }})
        {%- endif %}
    {%- endset -%}
    {%- set columns = {'rows': [], 'table': [], 'contract': []} -%}
    {%- set comments = {} -%}
    {%- for row in run_query(catalog).rows -%}
        {%- if row[0] in ('table', 'table comment') -%}
            {%- do comments.update({row[1]: row[3] or ''}) -%}
        {%- endif -%}
        {%- if row[0] in columns -%}
            {%- do columns[row[0]].append({'name': row[1], 'data_type': row[2]}) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- set query_columns = columns['rows'] -%}
    {%- set query_map = folio_column_map(query_columns) -%}

    {%- if contract and query_map != folio_column_map(columns['contract']) -%}
        {%- do exceptions.raise_contract_error(
            format_columns(get_column_schema_from_query(get_empty_schema_sql(model['columns']))),
            format_columns(adapter.get_columns_in_relation(rows_relation))) -%}
    {%- endif -%}

    {#- a difference: dbt's own schema-change check raises its "out of sync" message -#}
    {%- if query_map != folio_column_map(columns['table']) -%}
        {%- do process_schema_changes('fail', rows_relation, target_relation) -%}
        {%- do exceptions.raise_compiler_error(
            "The source and target schemas on this incremental model are out of sync: "
            ~ target_relation ~ " has " ~ folio_column_map(columns['table'])
            ~ ", the model's rows " ~ query_map) -%}
    {%- endif -%}

    {%- set quoted = [] -%}
    {%- for column in query_columns -%}
        {%- do quoted.append(adapter.quote(column['name'])) -%}
    {%- endfor -%}
    {% call statement('main') %}
        insert into {{ target_relation }} ({{ quoted | join(', ') }})
        select {{ quoted | join(', ') }} from {{ rows_relation }};
        drop table {{ rows_relation }}
    {% endcall %}

    {%- set stale = [] -%}
    {%- if config.persist_relation_docs() and (model.description or '') != comments.get('', '') -%}
        {%- do stale.append('relation') -%}
    {%- endif -%}
    {%- if config.persist_column_docs() -%}
        {%- for name, column in model['columns'].items()
            if name in comments and (column.description or '') != comments[name] -%}
            {%- do stale.append(name) -%}
        {%- endfor -%}
    {%- endif -%}
    {%- if stale -%}
        {% do persist_docs(target_relation, model) %}
    {%- endif -%}

    {{ run_hooks(post_hooks, inside_transaction=True) }}
    -- `COMMIT` happens here
    {% do adapter.commit() %}
    {{ run_hooks(post_hooks, inside_transaction=False) }}

    {{ return({'relations': [target_relation]}) }}
{% endmacro %}


{#- name (lower case) -> data type (upper case): the comparison both checks make -#}
{% macro folio_column_map(columns) %}
    {%- set mapped = {} -%}
    {%- for column in columns -%}
        {%- do mapped.update({column['name'] | lower: column['data_type'] | upper}) -%}
    {%- endfor -%}
    {{ return(mapped) }}
{% endmacro %}
