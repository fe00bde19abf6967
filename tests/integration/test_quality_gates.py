"""The GX gates on real data: raw suites on the lake, mart suites on the build file.

A planted bad row fails the gate naming the suite, the expectation and the rows; a warning
is recorded and does not block; every result lands in the quality ledger.
"""

from __future__ import annotations

import datetime as dt
import shutil

import duckdb
import pyarrow.parquet as pq
import pytest
from conftest import TINY

from folio.config import Settings
from folio.core import ledger
from folio.core.errors import QualityGateError
from folio.core.window import Window
from folio.ingest.app_db import extract_app_db
from folio.ingest.stripe.load import load_stripe
from folio.quality.gates import trailing_basis, validate_marts, validate_raw
from folio.warehouse import publish
from folio.warehouse.transform import build_marts, build_ml_marts

pytestmark = pytest.mark.slow  # tens of seconds: not in `make check`

WINDOW = Window(TINY.start, TINY.end)


@pytest.fixture(scope="module")
def base(tiny_landing, tmp_path_factory):
    """Lake loaded, marts built and published once (the served snapshot)."""
    landing, _ = tiny_landing
    home = tmp_path_factory.mktemp("gates")
    (home / "landing").symlink_to(landing)
    settings = Settings(home=home)
    load_stripe(settings, WINDOW, "history")
    extract_app_db(settings, WINDOW, "history")
    build_marts(settings, WINDOW, "history")
    build_ml_marts(settings, WINDOW, "history")  # no model here: empty score marts
    publish.publish(settings, "history", WINDOW)
    return settings


@pytest.fixture()
def home(base, tmp_path):
    """A copy of the base home a test may break."""
    new = tmp_path / "home"
    new.mkdir()
    (new / "landing").symlink_to(base.landing.resolve())
    shutil.copytree(base.lake, new / "lake")
    shutil.copytree(base.warehouse, new / "warehouse")
    return Settings(home=new)


def _sql(settings: Settings, sql: str) -> None:
    with duckdb.connect(str(settings.build_db)) as con:
        con.execute(sql)


def test_good_data_passes_both_gates_and_every_result_is_recorded(home):
    raw = validate_raw(home, WINDOW, "r1")
    marts = validate_marts(home, WINDOW, "r1")
    assert raw.details["checks"]["pass"] > 50 and "fail" not in raw.details["checks"]
    assert marts.details["checks"]["pass"] > 50 and "fail" not in marts.details["checks"]
    rows = ledger.quality_rows(home.ledger_path, ["r1"])
    assert len(rows) == raw.rows + marts.rows
    assert {r["stage"] for r in rows} == {"validate_raw", "validate_marts"}
    # raw volume needs trailing history the first window cannot have: skipped, with why
    skipped = [r for r in rows if r["status"] == "skipped"]
    assert skipped and all("trailing days of history" in r["message"] for r in skipped)
    assert {r["suite"] for r in skipped} <= {
        "raw.events.clean_events",
        "raw.app_db.images",
        "raw.stripe.subscription",
        "raw.stripe.invoice",
    }
    # GX let go of the build file: the next task may open it read-write in this process
    duckdb.connect(str(home.build_db)).close()
    # GX Data Docs were built under FOLIO_HOME
    assert (home.home / "docs" / "gx" / "index.html").exists()


def test_every_duckdb_connection_of_the_gates_has_the_memory_limit(home, monkeypatch):
    """GX's connections (through duckdb_engine) and the gates' own: all bounded alike."""
    import duckdb_engine.config

    limited = Settings(home=home.home, duckdb_memory_limit="1GiB")
    duckdb_engine.config.get_core_config()  # the engine's own probe (a cached settings list)
    seen = []
    opened = duckdb.connect

    def connect(*args, **kwargs):
        con = opened(*args, **kwargs)
        seen.append(con.sql("select current_setting('memory_limit')").fetchall()[0][0])
        return con

    monkeypatch.setattr(duckdb, "connect", connect)
    validate_raw(limited, WINDOW, "m1")
    validate_marts(limited, WINDOW, "m1")
    assert len(seen) > 3 and set(seen) == {"1.0 GiB"}


def test_a_bad_mart_row_fails_the_gate_naming_suite_expectation_and_rows(home):
    _sql(
        home, "update marts.fct_retention_cohorts set logo_retention = 1.25 where month_offset = 1"
    )
    _sql(
        home,
        "update marts.dim_accounts set signed_up_date = date '2031-01-01'"
        " where account_id = (select min(account_id) from marts.dim_accounts)",
    )
    with pytest.raises(QualityGateError) as err:
        validate_marts(home, WINDOW, "r2")
    msg = str(err.value)
    assert "quality gate validate_marts failed: 2 critical check(s) failed" in msg
    assert (
        "marts.fct_retention_cohorts #0 expect_column_values_to_be_between(logo_retention)"
        " on marts.fct_retention_cohorts: fail" in msg
    )
    assert "marts.dim_accounts #2 expect_column_values_to_be_between(signed_up_date)" in msg
    assert "1 unexpected, e.g. ['2031-01-01']" in msg
    failed = [r for r in ledger.quality_rows(home.ledger_path, ["r2"]) if r["status"] != "pass"]
    assert sorted((r["suite"], r["severity"], r["status"]) for r in failed) == [
        ("marts.dim_accounts", "critical", "fail"),
        ("marts.fct_retention_cohorts", "critical", "fail"),
    ]


def test_a_missing_mart_fails_the_gate_naming_it(home):
    _sql(home, "drop table marts.at_risk_accounts")
    _sql(home, "drop table marts.fct_churn_scores")
    with pytest.raises(QualityGateError) as err:
        validate_marts(home, WINDOW, "r6")
    assert "marts.fct_churn_scores table exists on marts.fct_churn_scores: error" in str(err.value)
    assert "the build file has no such table" in str(err.value)


def test_a_broken_identity_is_caught_by_a_query_expectation(home):
    _sql(home, "update marts.mrr_monthly set mrr = mrr + 1, arr = arr + 12 where month = "
               "(select max(month) from marts.mrr_monthly)")  # fmt: skip
    with pytest.raises(QualityGateError, match=r"marts.mrr_monthly #6 unexpected_rows_expectation"):
        validate_marts(home, WINDOW, "r3")


def test_a_volume_drop_against_the_served_snapshot_is_a_warning_not_a_block(home):
    _sql(home, "delete from marts.fct_invoices where invoice_date < (select median(invoice_date)"
               " from marts.fct_invoices)")  # fmt: skip
    served = publish.current(home).row_counts["fct_invoices"]
    result = validate_marts(home, WINDOW, "r4")
    [warning] = result.details["warnings"]
    assert "marts.fct_invoices #4 expect_table_row_count_to_be_between" in warning
    rows = [r for r in ledger.quality_rows(home.ledger_path, ["r4"]) if r["status"] == "fail"]
    assert [(r["suite"], r["severity"]) for r in rows] == [("marts.fct_invoices", "warning")]
    assert int(rows[0]["observed"]) < 0.9 * served


def test_a_bad_raw_batch_fails_the_raw_gate(home):
    """A Stripe partition with an invoice twice and an unknown status (a hand-made export)."""
    day = dt.date(2026, 4, 2)
    part = home.lake / "raw" / "stripe" / "invoice" / f"dt={day}"
    [f] = list(part.glob("*.parquet"))
    t = pq.read_table(f)
    bad = duckdb.sql(
        "select * replace ('refunded' as status) from t union all"
        " select * from (select * from t limit 1)"
    ).to_arrow_table()
    pq.write_table(bad, f)
    with pytest.raises(QualityGateError) as err:
        validate_raw(home, Window(day, day), "r5")
    msg = str(err.value)
    assert "raw.stripe.invoice #1 expect_compound_columns_to_be_unique(invoice_id, dt)" in msg
    assert "raw.stripe.invoice #3 expect_column_values_to_be_in_set(status)" in msg
    assert f"({t.num_rows} unexpected, e.g. ['refunded'" in msg


def test_volume_bounds_are_learned_from_the_trailing_days():
    rows = {dt.date(2026, 4, d): n for d, n in zip(range(1, 15), [10] * 7 + [30] * 7, strict=True)}
    basis, why = trailing_basis(rows, Window(dt.date(2026, 4, 15), dt.date(2026, 4, 15)), 14)
    assert (basis, why) == (20.0, None)
    two_days = Window(dt.date(2026, 4, 15), dt.date(2026, 4, 16))
    assert trailing_basis(rows, two_days, 14) == (40.0, None)
    basis, why = trailing_basis(rows, Window(dt.date(2026, 4, 10), dt.date(2026, 4, 10)), 14)
    assert basis is None and why == "needs 14 trailing days of history, the lake has 9"
