{#-
    The event days a run rebuilds: the Spark job rewrote [interval_start - lookback,
    interval_end] in the lake (late events land in their true day), so the incremental
    event marts delete and re-insert exactly those days. A full build takes every day up to
    interval_end: both ways give the same rows.
-#}
{% macro event_window_start() -%}
    (cast('{{ var("interval_start") }}' as date) - {{ var("events_lookback_days") }})
{%- endmacro %}

{% macro event_window_end() -%}
    cast('{{ var("interval_end") }}' as date)
{%- endmacro %}

{#- where-clause for a model's day column: the window when incremental, else up to the end -#}
{% macro in_event_window(column) -%}
    {%- if is_incremental() -%}
        {{ column }} between {{ event_window_start() }} and {{ event_window_end() }}
    {%- else -%}
        {{ column }} <= {{ event_window_end() }}
    {%- endif -%}
{%- endmacro %}

{#- pre-hook: the window's old rows go first (a day that lost all its rows is emptied too) -#}
{% macro delete_event_window(column) -%}
    {%- if is_incremental() -%}
        delete from {{ this }}
        where {{ column }} between {{ event_window_start() }} and {{ event_window_end() }}
    {%- else -%}
        select 1
    {%- endif -%}
{%- endmacro %}

{#- incremental runs: only the rows the window's days can reach (`days` before its start) -#}
{% macro since_event_window(column, days) -%}
    {%- if is_incremental() -%}
        {{ column }} > {{ event_window_start() }} - {{ days }}
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}

{#- The days a rolling-window mart computes (a CTE body): every day from the first day with
    activity in `source` (a CTE) - or the window's start, when incremental - to the last -#}
{% macro activity_days(source, day_column) -%}
    select cast(unnest(generate_series(first_day, last_day, interval 1 day)) as date)
        as activity_date
    from (
        select
            {% if is_incremental() -%}
                greatest({{ event_window_start() }}, min({{ day_column }})) as first_day,
            {%- else -%}
                min({{ day_column }}) as first_day,
            {%- endif %}
            max({{ day_column }}) as last_day
        from {{ source }}
    ) as bounds
    where first_day <= last_day
{%- endmacro %}
