"""The warehouse: the dbt stages, publishing the marts, and read-only ad-hoc SQL on them."""
