"""The top floor: the stage registry and what the Airflow tasks call. Nothing imports it but
the DAG file and the CLI."""
