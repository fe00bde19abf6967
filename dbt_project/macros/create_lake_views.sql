{#-
    The sources live in the lake as hive-partitioned Parquet (`<lake>/<lake_path>/dt=D/`;
    a source whose files are not partitioned names its own `meta.lake_glob`).
    Each source table becomes a view `lake.<identifier>` over its files. A table with no
    file yet (a fresh lake, a source that has had nothing to say) becomes an empty view
    with the column types its YAML declares, so models build and return no rows; if its
    YAML declares no types either, the run stops naming the table.
    Files are read by column name across schemas (`union_by_name`), which opens every
    file's footer when the view is used: ~0.3 s per read over a year of event partitions.
    A source whose writer pins one schema for all its files (the Spark outputs) sets
    `meta.lake_union_by_name: false`; a file with another schema then fails the read
    loudly, and a change to the job's output means rewriting its history.
-#}
{% macro create_lake_views() %}
    {% if execute %}
        {#- FOLIO_LAKE: the lake's root, a path or an s3:// URL (the pipeline sets it) -#}
        {% set lake = env_var('FOLIO_LAKE', env_var('FOLIO_HOME', '../data') ~ '/lake') %}
        {% do run_query('create schema if not exists lake') %}
        {% for source in graph.sources.values() if source.meta.get('lake_path') %}
            {% set files = lake ~ '/' ~ source.meta['lake_path'] ~ '/'
                ~ source.meta.get('lake_glob', 'dt=*/*.parquet') %}
            {% set found = run_query("select count(*) from glob('" ~ files ~ "')").columns[0].values()[0] %}
            {% if found > 0 %}
                {% set body %}
                    select * from read_parquet(
                        '{{ files }}', hive_partitioning = true,
                        union_by_name = {{ source.meta.get('lake_union_by_name', true) }}
                    )
                {% endset %}
            {% else %}
                {% set typed = [] %}
                {% for name, column in source.columns.items() if column.data_type %}
                    {% do typed.append('null::' ~ column.data_type ~ ' as ' ~ adapter.quote(name)) %}
                {% endfor %}
                {% if typed | length == 0 %}
                    {{ exceptions.raise_compiler_error(
                        "source " ~ source.source_name ~ "." ~ source.name ~ ": no files under "
                        ~ files ~ " and no column types in its YAML") }}
                {% endif %}
                {% set body = 'select ' ~ typed | join(', ') ~ ' where false' %}
            {% endif %}
            {% do run_query('create or replace view lake.' ~ source.identifier ~ ' as ' ~ body) %}
        {% endfor %}
    {% endif %}
{% endmacro %}
