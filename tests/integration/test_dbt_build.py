"""The dbt stage on the simulator's lake: marts built, every node recorded, bad input named."""

from __future__ import annotations

import datetime as dt
import shutil
import sqlite3
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import TINY

from folio.config import Settings
from folio.core import ledger
from folio.core.errors import FolioError
from folio.core.lake import PART
from folio.core.window import Window
from folio.ingest.app_db import extract_app_db
from folio.ingest.stripe.load import load_stripe
from folio.warehouse.transform import (
    build_docs,
    build_marts,
    build_ml_marts,
    build_ops_marts,
    run_dbt,
    source_freshness,
)

pytestmark = pytest.mark.slow  # tens of seconds: not in `make check`

# The history up to two days before the state of the app database: the database moves on
# while the run waits, and the window must still hold every account that existed at its end
# (rows changed since included), or the facts of the window point at accounts it lacks
WINDOW = Window(TINY.start, TINY.end - dt.timedelta(days=2))


@pytest.fixture(scope="module")
def built(tiny_landing, tmp_path_factory):
    """App DB and Stripe loaded (no Segment events: those sources are empty views)."""
    landing, _ = tiny_landing
    home = tmp_path_factory.mktemp("dbt")
    (home / "landing").symlink_to(landing)
    settings = Settings(home=home)
    load_stripe(settings, WINDOW, "history")
    extract_app_db(settings, WINDOW, "history")
    return settings, build_marts(settings, WINDOW, "history")


def _q(settings: Settings, sql: str) -> list[tuple]:
    with duckdb.connect(str(settings.build_db), read_only=True) as con:
        return con.execute(sql).fetchall()


def test_every_model_and_test_passes_and_is_recorded(built):
    settings, result = built
    assert result.details["failed"] == []
    # every model and test ran and passed; the exposures (the churn model and the six
    # dashboards) are no-ops
    assert set(result.details["status"]) == {"success", "pass", "no-op"}
    assert result.details["status"]["no-op"] == 7
    recorded = ledger.dbt_results(settings.ledger_path, ["history"])
    assert len(recorded) == result.details["nodes"]
    models = {r["unique_id"] for r in recorded if r["resource_type"] == "model"}
    assert "model.folio.fct_mrr_movements" in models and "model.folio.dim_accounts" in models
    assert any(r["resource_type"] == "unit_test" for r in recorded)
    # the marts' rows, per table, are the stage's rows
    assert result.rows == sum(result.details["mart_rows"].values())
    assert result.details["mart_rows"]["fct_app_sessions"] == 0  # no events: empty, not an error


def test_the_duckdb_memory_limit_reaches_dbt(built):
    settings, _ = built
    limited = Settings(home=settings.home, duckdb_memory_limit="1GiB")
    res = run_dbt(limited, ["show", "--inline", "select current_setting('memory_limit') as m"])
    assert res.success and res.result.results[0].agate_table.rows[0][0] == "1.0 GiB"


def test_accounts_reconcile_with_the_app_database(built):
    settings, _ = built
    with sqlite3.connect(settings.landing / "app.db") as conn:
        (app_accounts,) = conn.execute(
            "select count(*) from accounts where created_at < ?",
            [(WINDOW.end + dt.timedelta(days=1)).isoformat()],
        ).fetchone()
        (changed_since,) = conn.execute(
            "select count(*) from accounts where created_at < ? and updated_at >= ?",
            [(WINDOW.end + dt.timedelta(days=1)).isoformat()] * 2,
        ).fetchone()
    assert changed_since > 0  # the case this checks is in the data
    assert _q(settings, "select count(*) from marts.dim_accounts") == [(app_accounts,)]


def test_mrr_is_measured_and_the_identity_holds(built):
    settings, _ = built
    [(months, paying)] = _q(
        settings, "select count(*), max(paying_accounts) from marts.mrr_monthly"
    )
    assert months >= 1 and paying > 0
    broken = _q(
        settings,
        "select count(*) from marts.fct_mrr_movements where starting_mrr + new_mrr"
        " + reactivation_mrr + expansion_mrr + contraction_mrr + churned_mrr != ending_mrr",
    )
    assert broken == [(0,)]
    # ARR is 12 x MRR in every month
    assert _q(settings, "select count(*) from marts.mrr_monthly where arr != 12 * mrr") == [(0,)]


def test_no_raw_pii_in_any_mart_column(built):
    """Every text column of every mart: no email, no IPv4 address, no person's name."""
    settings, _ = built
    with sqlite3.connect(settings.landing / "app.db") as conn:
        names = {n for (n,) in conn.execute("select full_name from users") if n}
        names |= {n for (n,) in conn.execute("select name from accounts") if n}
    assert names
    columns = _q(
        settings,
        "select table_name, column_name from information_schema.columns"
        " where table_schema = 'marts' and data_type = 'VARCHAR'",
    )
    assert len(columns) > 10
    with duckdb.connect(str(settings.build_db), read_only=True) as con:
        con.execute("create temp table pii_names (name varchar)")
        con.executemany("insert into pii_names values (?)", [(n,) for n in names])
        for table, column in columns:
            hits = con.execute(
                f'select count(*) from marts."{table}" t where'
                f" regexp_matches(\"{column}\", '[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\\.[A-Za-z]+')"
                f" or regexp_matches(\"{column}\", '\\b\\d{{1,3}}(\\.\\d{{1,3}}){{3}}\\b')"
                f' or "{column}" in (select name from pii_names)'
            ).fetchall()[0][0]
            assert hits == 0, f"raw PII in marts.{table}.{column}"


def test_bad_stripe_items_fail_the_build_naming_their_ids(built, tmp_path):
    settings, _ = built
    home = tmp_path / "home"
    shutil.copytree(settings.home / "lake", home / "lake", symlinks=True)
    (home / "landing").symlink_to(settings.landing.resolve())
    bad_settings = Settings(home=home)
    items = home / "lake" / "raw" / "stripe" / "subscription_item"
    first = sorted(items.glob("dt=*/*.parquet"))[0]
    table = pq.read_table(first).slice(0, 1)
    rows = table.to_pylist()[0]
    bad = [
        rows | {"subscription_item_id": "si_fortnight", "recurring_interval": "fortnight"},
        rows | {"subscription_item_id": "si_negative", "unit_amount": -500},
        rows | {"subscription_item_id": "si_euro", "currency": "eur"},
    ]
    day = items / "dt=2030-01-01"
    day.mkdir()
    pq.write_table(pa.Table.from_pylist(bad, schema=table.schema), day / first.name)
    with pytest.raises(FolioError) as err:
        build_marts(bad_settings, WINDOW, "bad")
    msg = str(err.value)
    assert "assert_subscription_items_are_billable" in msg
    for item, problem in (
        ("si_fortnight", "unknown price interval: fortnight"),
        ("si_negative", "negative unit amount: -500"),
        ("si_euro", "unhandled currency: eur"),
    ):
        assert item in msg and problem in msg


def test_a_nightly_run_on_stale_sources_fails_naming_them(built):
    """Freshness is measured against now: the simulated history ended long ago."""
    import datetime as dt

    settings, _ = built
    today = dt.datetime.now(dt.UTC).date()
    with pytest.raises(FolioError, match=r"stale beyond their error threshold: .*app_db\.accounts"):
        source_freshness(settings, Window(today, today), "nightly")
    recorded = ledger.dbt_results(settings.ledger_path, ["nightly"])
    assert {r["status"] for r in recorded if r["resource_type"] == "source"} == {"error"}


def test_a_backfill_skips_freshness_and_docs_cover_every_model(built):
    settings, _ = built
    skipped = source_freshness(settings, WINDOW, "backfill")
    assert skipped.rows == 0 and "backfill" in skipped.details["skipped"]
    docs = build_docs(settings, WINDOW, "backfill")
    assert (settings.home / "dbt" / "target" / "index.html").exists()
    catalog = settings.home / "dbt" / "target" / "catalog.json"
    assert "model.folio.fct_mrr_movements" in catalog.read_text() and docs.rows > 30


def test_every_model_and_column_is_described(built):
    """Docs: every model has a description (its grain) and so does every column it has."""
    import json

    settings, _ = built
    # the ops marts too (built from the run ledger after the gates): the catalog has them all
    ops = build_ops_marts(settings, WINDOW, "docs")
    assert ops.details["exported"]["task_runs"] == 0  # stages called directly, not by Airflow
    assert ops.details["exported"]["quality_results"] > 100  # this build's dbt tests
    assert (
        ops.details["mart_rows"]["fct_data_quality"] == ops.details["exported"]["quality_results"]
    )
    # and the churn-score marts (built after the scorer; no scores here: empty, typed)
    ml = build_ml_marts(settings, WINDOW, "docs")
    assert ml.details["mart_rows"]["fct_churn_scores"] == 0
    build_docs(settings, WINDOW, "docs")
    assert (settings.home / "docs" / "dbt" / "manifest.json").exists()
    target = settings.home / "dbt" / "target"
    manifest = json.loads((target / "manifest.json").read_text())
    catalog = json.loads((target / "catalog.json").read_text())
    models = {k: v for k, v in manifest["nodes"].items() if v["resource_type"] == "model"}
    assert len(models) > 30
    undescribed = [k for k, v in models.items() if not v["description"].strip()]
    assert undescribed == []
    missing = [
        f"{k}.{col}"
        for k in models
        for col in catalog["nodes"][k]["columns"]
        if not models[k]["columns"].get(col, {}).get("description", "").strip()
    ]
    assert missing == []


def test_plan_history_answers_what_was_the_plan_on_a_date(built, tmp_path):
    """An account changes plan in place; the nightly snapshot keeps both states."""
    import datetime as dt

    settings, _ = built
    home = tmp_path / "home"
    shutil.copytree(settings.home / "lake", home / "lake", symlinks=True)
    (home / "landing").symlink_to(settings.landing.resolve())
    s2 = Settings(home=home)
    build_marts(s2, WINDOW, "night1")
    accounts = home / "lake" / "raw" / "app_db" / "accounts"
    latest = duckdb.sql(
        f"select * from read_parquet('{accounts}/*/*.parquet') order by updated_at desc limit 1"
    ).to_arrow_table()
    row = latest.to_pylist()[0]
    new_plan = "studio" if row["plan_code"] != "studio" else "basic"
    changed_at = row["updated_at"] + dt.timedelta(days=1)
    day = accounts / f"dt={changed_at.date()}"
    day.mkdir(exist_ok=True)
    changed = row | {"plan_code": new_plan, "updated_at": changed_at}
    pq.write_table(
        pa.Table.from_pylist([changed], schema=latest.schema), day / "part-00000.parquet"
    )
    build_marts(s2, WINDOW, "night2")
    history = _q(
        s2,
        "select plan_code, dbt_valid_from, dbt_valid_to from snapshots.snap_app_db__accounts"
        f" where account_id = {row['id']} order by dbt_valid_from",
    )
    assert [h[0] for h in history] == [row["plan_code"], new_plan]
    assert history[0][2] == history[1][1] == changed_at  # one period ends as the next begins

    def plan_on(day):
        return _q(
            s2,
            "select plan_code from snapshots.snap_app_db__accounts"
            f" where account_id = {row['id']} and dbt_valid_from <= '{day}'"
            f" and (dbt_valid_to is null or dbt_valid_to > '{day}')",
        )

    assert plan_on(changed_at - dt.timedelta(hours=1)) == [(row["plan_code"],)]
    assert plan_on(changed_at + dt.timedelta(hours=1)) == [(new_plan,)]


def test_churn_scoring_feeds_the_marts_and_records_drift(built, tmp_path):
    """A model (trained on synthetic rows) scores the build's paying accounts as of the
    window's end: the lake partition, the drift checks in the ledger, the score marts."""
    import sys

    sys.path.insert(0, str(Path(__file__).parent.parent / "unit"))
    from test_churn_model import synthetic

    from folio.ml import registry
    from folio.ml.model import TrainConfig
    from folio.ml.train import fit, score_churn, train_churn

    settings, _ = built
    home = tmp_path / "home"
    shutil.copytree(settings.home / "warehouse", home / "warehouse")
    shutil.copytree(settings.home / "lake", home / "lake", symlinks=True)
    s2 = Settings(home=home)
    # the tiny history has too few labelled weeks to learn from: a recorded skip
    skipped = train_churn(s2, WINDOW, "ml")
    assert skipped.details["trained"] is False
    assert "nothing left to train on" in skipped.details["why"]
    assert score_churn(s2, WINDOW, "ml").details == {
        "scored": False,
        "why": "no promoted churn model yet",
    }
    report = fit(s2, synthetic(), TrainConfig(epochs=5), "test")
    assert report["promoted"]
    result = score_churn(s2, WINDOW, "ml")
    [(paying,)] = _q(
        settings, f"select count(*) from marts.ml_churn_features where as_of_date = '{WINDOW.end}'"
    )
    assert result.rows == paying > 0 and result.details["model_version"] == report["version"]
    part = home / "lake" / "ml" / "churn_scores" / f"dt={WINDOW.end}"
    assert [p.name for p in part.iterdir()] == [PART]
    drift = [r for r in ledger.quality_rows(s2.ledger_path, ["ml"]) if r["stage"] == "score_churn"]
    assert {r["check_name"] for r in drift} >= {"psi(score)", "psi(sessions_28d)"}
    assert all(r["severity"] == "warning" and r["tool"] == "ml" for r in drift)
    ml = build_ml_marts(s2, WINDOW, "ml")
    assert ml.details["mart_rows"]["fct_churn_scores"] == paying
    with duckdb.connect(str(s2.build_db), read_only=True) as con:
        bands = dict(
            con.execute(
                "select risk_band, count(*) from marts.fct_churn_scores group by 1"
            ).fetchall()
        )
        at_risk = con.execute("select count(*) from marts.at_risk_accounts").fetchall()[0][0]
    assert at_risk == bands.get("high", 0) + bands.get("medium", 0)
    assert registry.current(s2).version == report["version"]
