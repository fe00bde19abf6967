"""Incremental event marts (dbt-duckdb's own incremental materialization, `append` after the
window pre-hook): seven nightly runs give exactly what one full refresh gives."""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest
from conftest import TINY

from folio.config import Settings
from folio.core.window import Window
from folio.events.stage import sessionize_events
from folio.ingest.app_db import extract_app_db
from folio.ingest.stripe.load import load_stripe
from folio.warehouse.transform import run_dbt

pytestmark = [pytest.mark.slow, pytest.mark.spark]

INCREMENTAL = (
    "fct_app_sessions",
    "fct_site_traffic_daily",
    "fct_daily_active_accounts",
    "fct_feature_adoption",
)
SELECT = " ".join(f"+{m}" for m in INCREMENTAL)


@pytest.fixture(scope="module")
def lake(spark, tiny_landing, tmp_path_factory):
    """The tiny simulation loaded into a lake: app DB, Stripe and Spark's events."""
    landing, _ = tiny_landing
    home = tmp_path_factory.mktemp("incremental") / "loaded"
    home.mkdir()
    (home / "landing").symlink_to(landing)
    settings = Settings(home=home)
    window = Window(TINY.start, TINY.end)
    load_stripe(settings, window, "history")
    extract_app_db(settings, window, "history")
    sessionize_events(settings, window, "history")
    return home


def _warehouse(lake, path) -> Settings:
    """A warehouse of its own on the shared lake."""
    path.mkdir()
    (path / "landing").symlink_to(lake / "landing")
    (path / "lake").symlink_to(lake / "lake")
    return Settings(home=path)


def _build(settings: Settings, window: Window, *flags: str) -> None:
    res = run_dbt(settings, ["run", "-s", SELECT, *flags], window)
    assert res.success, res.exception


def test_seven_nightly_runs_equal_one_full_refresh(lake, tmp_path):
    full = _warehouse(lake, tmp_path / "full")
    _build(full, Window(TINY.start, TINY.end), "--full-refresh")

    nightly = _warehouse(lake, tmp_path / "nightly")
    first = TINY.end - dt.timedelta(days=7)
    _build(nightly, Window(TINY.start, first), "--full-refresh")
    for k in range(1, 8):
        day = first + dt.timedelta(days=k)
        _build(nightly, Window(day, day))

    with duckdb.connect() as con:
        con.execute(f"attach '{full.build_db}' as full_build (read_only)")
        con.execute(f"attach '{nightly.build_db}' as nightly_build (read_only)")
        for mart in INCREMENTAL:
            a, b = f"full_build.marts.{mart}", f"nightly_build.marts.{mart}"
            (rows,) = con.execute(f"select count(*) from {a}").fetchone()
            assert rows > 0, mart
            # EXCEPT ALL: a row twice on one side (a day inserted twice) is a difference too
            for x, y in ((a, b), (b, a)):
                (diff,) = con.execute(
                    f"select count(*) from (select * from {x} except all select * from {y})"
                ).fetchone()
                assert diff == 0, f"{mart}: {diff} rows of {x} not in {y}"
            # the last week really was built by the nightly runs: its days are there
            day_col = {"fct_app_sessions": "session_date", "fct_site_traffic_daily": "traffic_date"}
            col = day_col.get(mart, "activity_date")
            (last,) = con.execute(f"select max({col}) from {b}").fetchone()
            assert last > first
