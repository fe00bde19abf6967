"""End-to-end idempotency of folio_nightly, through Airflow, on the shared simulated history
(tests/conftest.py: loaded through three days before its end, then those days):

- a 3-day backfill as one run gives the same marts as three nightly runs;
- the same backfill with the lake moved to object storage (a local S3 server), Spark
  writing it through S3A, gives the same marts again.

Every published mart is compared by row count and an order-independent checksum (the
sorted md5 of every row). The ops marts are left out on purpose: they record the runs
themselves (run ids, timings), so two different sequences of runs must differ there.
A day run again gives the same marts: tests/e2e/test_platform_up.py (the scheduler's run
and a REST-triggered rerun of the loaded history's last day).
"""

from __future__ import annotations

import shutil

import pytest
from conftest import LAST_DAYS, copy_home, fingerprint, run_folio

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def backfilled(backfilled_history) -> dict:
    """Marts of the last three days loaded as one backfill run (the shared set-up)."""
    return fingerprint(backfilled_history)


def test_three_nightly_runs_equal_one_backfill(loaded_history, backfilled, tmp_path):
    home = copy_home(loaded_history, tmp_path / "nightly")
    for day in LAST_DAYS:
        run_folio("run", "--date", str(day), home=home)
    nightly = fingerprint(home)

    assert len(nightly) == 17 and sum(rows for rows, _ in nightly.values()) > 500
    # every mart has rows but the churn marts (labels need 30 days after an as-of date, and
    # a model more history than this short simulation has) and, maybe, the quarantine's
    empty = {t for t, (rows, _) in nightly.items() if rows == 0}
    churn = {"ml_churn_labels", "fct_churn_scores", "at_risk_accounts", "ml_model_versions"}
    assert empty <= churn | {"fct_quarantined_rows"}, nightly
    assert backfilled == nightly


def test_the_lake_moved_to_object_storage_gives_the_same_marts(
    loaded_history, backfilled_history, backfilled, tmp_path
):
    """The runbook's move: copy the lake to the bucket, set FOLIO_LAKE_URL, run on.

    The backfill of the last three days then reads the history from S3 (the extract's cursor, the
    gates' trailing volumes, dbt's sources, Spark's earlier identities) and writes every
    lake table there, Spark through S3A; its marts equal those of the local lake.
    """
    import fsspec
    from s3 import s3_server

    home = copy_home(loaded_history, tmp_path / "s3")
    with s3_server(spark=True) as env:
        s3 = fsspec.filesystem(
            "s3",
            key=env["AWS_ACCESS_KEY_ID"],
            secret=env["AWS_SECRET_ACCESS_KEY"],
            client_kwargs={"endpoint_url": env["AWS_ENDPOINT_URL_S3"]},
            skip_instance_cache=True,
        )
        lake_url = env["FOLIO_LAKE_URL"]
        s3.put(str(home / "lake") + "/", lake_url, recursive=True)
        moved = len(s3.find(lake_url))
        assert moved == sum(1 for f in (home / "lake").rglob("*") if f.is_file())
        shutil.rmtree(home / "lake")

        first, last = str(LAST_DAYS[0]), str(LAST_DAYS[-1])
        run_folio("run", "--start", first, "--end", last, home=home, env=env)

        assert fingerprint(home) == backfilled
        s3.invalidate_cache()  # it listed the bucket before the run
        assert not (home / "lake").exists()  # every lake write went to the bucket
        # the run wrote the same day partitions to the bucket as the local backfill to disk
        days = tuple(f"dt={day}" for day in LAST_DAYS)
        local_lake = backfilled_history / "lake"
        local = {
            str(f.parent.relative_to(local_lake))
            for f in local_lake.rglob("*.parquet")
            if f.parent.name in days
        }
        prefix = lake_url.removeprefix("s3://") + "/"
        remote = {
            f.removeprefix(prefix).rsplit("/", 1)[0]
            for f in s3.find(lake_url)
            if f.rsplit("/", 2)[-2] in days
        }
        assert remote == local and {f"events/clean_events/dt={LAST_DAYS[-1]}"} <= local
        assert len(s3.find(lake_url)) > moved
