"""The DAG folder imports cleanly and folio_nightly is wired the way the architecture says."""

from __future__ import annotations

import pytest
from conftest import REPO


@pytest.fixture(scope="module")
def dagbag():
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=str(REPO / "dags"))


def test_dag_folder_imports_without_errors(dagbag):
    assert dagbag.import_errors == {}
    assert "folio_nightly" in dagbag.dags


def test_schedule_is_daily_0200_utc_with_data_intervals(dagbag):
    from airflow.timetables.interval import CronDataIntervalTimetable

    dag = dagbag.dags["folio_nightly"]
    assert isinstance(dag.timetable, CronDataIntervalTimetable)
    assert dag.timetable._expression == "0 2 * * *"
    assert str(dag.timetable._timezone) in ("UTC", "Timezone('UTC')")
    assert dag.catchup is False and dag.max_active_runs == 1
    assert dag.start_date.tzinfo is not None


def test_every_task_retries_with_backoff_and_records_failures(dagbag):
    dag = dagbag.dags["folio_nightly"]
    assert dag.tasks
    for t in dag.tasks:
        assert t.retries >= 2, t.task_id
        assert t.retry_exponential_backoff, t.task_id
        assert t.on_failure_callback, t.task_id


def test_stages_run_in_the_architecture_order(dagbag):
    dag = dagbag.dags["folio_nightly"]
    tasks = dag.task_dict
    loads = {"extract_app_db", "load_stripe", "sessionize_events"}
    assert tasks["check_sources"].downstream_task_ids == loads
    for t in loads:
        assert tasks[t].downstream_task_ids == {"validate_raw"}
    assert tasks["validate_raw"].downstream_task_ids == {"source_freshness"}
    assert tasks["source_freshness"].downstream_task_ids == {"build_marts"}
    assert tasks["build_marts"].downstream_task_ids == {"train_churn"}
    assert tasks["train_churn"].downstream_task_ids == {"score_churn"}
    assert tasks["score_churn"].downstream_task_ids == {"build_ml_marts"}
    assert tasks["build_ml_marts"].downstream_task_ids == {"validate_marts"}
    # the gate: publish runs only after the mart checks passed
    assert tasks["validate_marts"].downstream_task_ids == {"build_ops_marts"}
    assert tasks["build_ops_marts"].downstream_task_ids == {"publish"}
    assert tasks["publish"].upstream_task_ids == {"build_ops_marts"}
    assert tasks["publish"].downstream_task_ids == {"build_docs"}
    assert tasks["build_docs"].downstream_task_ids == {"record_run"}
    assert tasks["record_run"].downstream_task_ids == set()
    from folio.pipeline.tasks import STAGES

    # every task but record_run is a stage of the registry, and every stage is a task
    assert set(STAGES) == {t.task_id for t in dag.tasks} - {"record_run"}


def test_publish_updates_the_served_marts_asset(dagbag):
    """A downstream DAG can be scheduled on the served marts: only publish updates them."""
    from airflow.sdk import Asset

    dag = dagbag.dags["folio_nightly"]
    producers = {t.task_id: t.outlets for t in dag.tasks if t.outlets}
    assert list(producers) == ["publish"]
    (asset,) = producers["publish"]
    assert isinstance(asset, Asset)
    assert (asset.name, asset.uri) == ("folio_marts", "folio://warehouse/marts")
