"""
### folio_nightly

Folio's nightly ELT. Runs daily at 02:00 UTC on a `CronDataIntervalTimetable`; each run
processes the UTC day its data interval starts on. A run may carry `{"start": "YYYY-MM-DD",
"end": "YYYY-MM-DD"}` in its conf to process a longer window in one run (the initial
history load, a backfill as one run): the same tasks, the same code path.

`check_sources` (every source delivered every day of the window) -> `extract_app_db`,
`load_stripe` (the raw lake, with exact quarantine) and `sessionize_events` (Spark: clean
events and sessions) -> `validate_raw` (GX) -> `source_freshness` -> `build_marts` (dbt) ->
`train_churn` (when due) -> `score_churn` (GPU when torch sees one) -> `build_ml_marts` ->
`validate_marts` (GX: the gate; a failed critical check publishes nothing) ->
`build_ops_marts` -> `publish` (the marts served from a verified snapshot by one atomic
rename; updates the asset `folio_marts`) -> `build_docs` -> `record_run`.

Every task retries with exponential backoff; failures are recorded in the run ledger by
`folio.pipeline.tasks.on_failure`. Each task calls one function of the `folio` package
(the stage registry `folio.pipeline.tasks.STAGES`); this file is wiring.
"""

from __future__ import annotations

import datetime as dt
import os

from airflow.sdk import Asset, dag, get_current_context, task
from airflow.timetables.interval import CronDataIntervalTimetable

# the served marts (warehouse/folio.duckdb): a downstream DAG can be scheduled on it
MARTS = Asset(name="folio_marts", uri="folio://warehouse/marts")


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


def stage(task_id: str, **task_args):
    """A task that runs the stage ``task_id`` for the run's window (folio imported at run
    time, so parsing this file stays cheap)."""

    @task(task_id=task_id, **task_args)
    def run_stage() -> dict:
        from folio.pipeline.tasks import run_stage

        return run_stage(task_id, get_current_context())

    return run_stage()


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
    def record_run() -> dict:
        from folio.pipeline.tasks import record_run

        return record_run(get_current_context())

    loaded = [stage("extract_app_db"), stage("load_stripe"), stage("sessionize_events")]
    marts, gate = stage("build_marts"), stage("validate_marts")
    stage("check_sources") >> loaded >> stage("validate_raw") >> stage("source_freshness") >> marts
    marts >> stage("train_churn") >> stage("score_churn") >> stage("build_ml_marts") >> gate
    # publish, then docs: dbt opens the build file read-write, and DuckDB lets no other
    # process read a file one process writes, so the two never run side by side
    served = stage("publish", outlets=[MARTS])
    gate >> stage("build_ops_marts") >> served >> stage("build_docs") >> record_run()


folio_nightly()
