"""The platform's runtime: Airflow's environment and in-process runs, `folio up` / `down`."""
