"""
### folio_nightly

Folio's nightly ELT. Runs daily at 02:00 UTC on a `CronDataIntervalTimetable`; each run
processes the UTC day its data interval starts on. A run may carry `{"start": "YYYY-MM-DD",
"end": "YYYY-MM-DD"}` in its conf to process a longer window in one run (the initial
history load, a backfill as one run): the same tasks, the same code path.

Stages, in order (later stages join as they are built):
`check_sources` (every source delivered every day of the window; what landed) ->
`extract_app_db` (app tables changed in the window -> `lake/raw/app_db`) and
`load_stripe` (Stripe exports -> `lake/raw/stripe`), each with exact quarantine, and
`sessionize_events` (Spark: Segment messages -> clean events and sessions in
`lake/events`, reprocessing a lookback of days for late events) ->
`validate_raw` (GX checkpoint `raw` on the window's lake partitions) ->
`source_freshness` (dbt's, on nightly windows) -> `build_marts` (one `dbt build` of
`dbt_project/` into `warehouse/build.duckdb`, every model and test reported in the task
log and the ledger) -> `train_churn` (when due: no model, a week old, or drifted) ->
`score_churn` (the current model scores the paying accounts as of the window's end, on a
GPU when torch sees one, into `lake/ml/churn_scores`) -> `build_ml_marts` (dbt:
`fct_churn_scores`, `at_risk_accounts`) -> `validate_marts` (GX checkpoint `marts` on the build file: the
gate; a failed critical expectation fails it and nothing is published) ->
`build_ops_marts` (the run ledger exported to `lake/ops`, then the ops marts: pipeline runs,
data quality, source freshness) -> `publish` (the marts copied into a closed snapshot under
`warehouse/snapshots/`, verified, then served as `warehouse/folio.duckdb` by one atomic
rename) -> `build_docs` (dbt docs) ->
`record_run` (the run's totals in the ledger).

Every task: retries with exponential backoff; failures are recorded in the run ledger by
`folio.pipeline.tasks.on_failure`. Logic lives in the `folio` package; this file is wiring.
"""

from __future__ import annotations

import datetime as dt
import os

from airflow.sdk import dag, get_current_context, task
from airflow.timetables.interval import CronDataIntervalTimetable


def _on_failure(context):
    from folio.pipeline.tasks import on_failure

    on_failure(context)


DEFAULT_ARGS = {
    "owner": "data-platform",
    "retries": 2,
    # FOLIO_RETRY_DELAY_SECONDS (see .env.example); an env read, no I/O at parse time
    "retry_delay": dt.timedelta(seconds=int(os.environ.get("FOLIO_RETRY_DELAY_SECONDS", "60"))),
    "retry_exponential_backoff": True,
    "max_retry_delay": dt.timedelta(minutes=10),
    "on_failure_callback": _on_failure,
}


@dag(
    dag_id="folio_nightly",
    schedule=CronDataIntervalTimetable("0 2 * * *", timezone="UTC"),
    start_date=dt.datetime(2025, 1, 1, 2, tzinfo=dt.UTC),
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    tags=["folio", "nightly", "elt"],
    doc_md=__doc__,
)
def folio_nightly():
    @task
    def check_sources() -> dict:
        from folio.pipeline.tasks import run_stage

        return run_stage("check_sources", get_current_context())

    @task
    def extract_app_db() -> dict:
        from folio.pipeline.tasks import run_stage

        return run_stage("extract_app_db", get_current_context())

    @task
    def load_stripe() -> dict:
        from folio.pipeline.tasks import run_stage

        return run_stage("load_stripe", get_current_context())

    @task
    def sessionize_events() -> dict:
        from folio.pipeline.tasks import run_stage

        return run_stage("sessionize_events", get_current_context())

    @task
    def validate_raw() -> dict:
        from folio.pipeline.tasks import run_stage

        return run_stage("validate_raw", get_current_context())

    @task
    def source_freshness() -> dict:
        from folio.pipeline.tasks import run_stage

        return run_stage("source_freshness", get_current_context())

    @task
    def build_marts() -> dict:
        from folio.pipeline.tasks import run_stage

        return run_stage("build_marts", get_current_context())

    @task
    def train_churn() -> dict:
        from folio.pipeline.tasks import run_stage

        return run_stage("train_churn", get_current_context())

    @task
    def score_churn() -> dict:
        from folio.pipeline.tasks import run_stage

        return run_stage("score_churn", get_current_context())

    @task
    def build_ml_marts() -> dict:
        from folio.pipeline.tasks import run_stage

        return run_stage("build_ml_marts", get_current_context())

    @task
    def validate_marts() -> dict:
        from folio.pipeline.tasks import run_stage

        return run_stage("validate_marts", get_current_context())

    @task
    def build_ops_marts() -> dict:
        from folio.pipeline.tasks import run_stage

        return run_stage("build_ops_marts", get_current_context())

    @task
    def build_docs() -> dict:
        from folio.pipeline.tasks import run_stage

        return run_stage("build_docs", get_current_context())

    @task
    def publish() -> dict:
        from folio.pipeline.tasks import run_stage

        return run_stage("publish", get_current_context())

    @task
    def record_run() -> dict:
        from folio.pipeline.tasks import record_run

        return record_run(get_current_context())

    loaded = [extract_app_db(), load_stripe(), sessionize_events()]
    marts, done = build_marts(), record_run()
    # publish, then docs: dbt opens the build file read-write, and DuckDB lets no other
    # process read a file one process writes, so the two never run side by side
    gate = validate_marts()
    check_sources() >> loaded >> validate_raw() >> source_freshness() >> marts
    marts >> train_churn() >> score_churn() >> build_ml_marts() >> gate
    gate >> build_ops_marts() >> publish() >> build_docs() >> done


folio_nightly()
