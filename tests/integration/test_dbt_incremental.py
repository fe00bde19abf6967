"""Incremental event marts: seven nightly runs give exactly what one full refresh gives, and
the nightly shortcut (macros/materializations/incremental.sql) keeps dbt's checks."""

from __future__ import annotations

import datetime as dt
import shutil

import duckdb
import pytest
from conftest import TINY

from folio.config import Settings
from folio.core.window import Window
from folio.events.stage import sessionize_events
from folio.ingest.app_db import extract_app_db
from folio.ingest.stripe import load_stripe
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


def _message(res) -> str:
    """The failed model's message (the results also hold the on-run-start hook)."""
    return next(r.message for r in res.result.results if r.node.name == "fct_app_sessions")


def _q(settings: Settings, sql: str) -> list[tuple]:
    with duckdb.connect(str(settings.build_db), read_only=True) as con:
        return con.execute(sql).fetchall()


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


def test_the_nightly_shortcut_keeps_the_contract_the_schema_check_and_the_docs(lake, tmp_path):
    """A nightly append binds the model's query once and reads the catalog once, yet a
    contract break or a table that drifted from the model fails the run and leaves the table
    as it was, and edited docs reach the warehouse."""
    settings = _warehouse(lake, tmp_path / "wh")
    _build(settings, Window(TINY.start, TINY.end - dt.timedelta(days=1)), "--full-refresh")
    night = Window(TINY.end, TINY.end)
    per_day = "select session_date, count(*) from marts.fct_app_sessions group by 1 order by 1"

    # the shortcut is the path a nightly run takes: its main statement inserts from __dbt_rows
    _build(settings, night)
    before = _q(settings, per_day)
    assert before[-1][0] == TINY.end
    run_sql = settings.home / "dbt/target/run/folio/models/marts/product/fct_app_sessions.sql"
    assert "__dbt_rows" in run_sql.read_text()

    # a table that no longer matches the model: on_schema_change='fail', nothing deleted
    with duckdb.connect(str(settings.build_db)) as con:
        con.execute("alter table marts.fct_app_sessions add column stray varchar")
    res = run_dbt(settings, ["run", "-s", "fct_app_sessions"], night)
    assert not res.success
    assert "out of sync" in _message(res) and "stray" in _message(res)
    assert _q(settings, per_day) == before
    with duckdb.connect(str(settings.build_db)) as con:
        con.execute("alter table marts.fct_app_sessions drop column stray")

    # a model whose output breaks its contract: the contract error, nothing deleted
    project = tmp_path / "project"
    shutil.copytree(settings.dbt_project, project, ignore=shutil.ignore_patterns("target", "logs"))
    model = project / "models/marts/product/fct_app_sessions.sql"
    sql = model.read_text()
    model.write_text(
        sql.replace("duration_seconds,", "cast(duration_seconds as integer) as duration_seconds,")
    )
    dirs = ["--project-dir", str(project), "--profiles-dir", str(project)]
    res = run_dbt(settings, ["run", "-s", "fct_app_sessions", *dirs], night)
    assert not res.success
    message = _message(res)
    assert "contract" in message and "duration_seconds" in message
    assert _q(settings, per_day) == before

    # docs edited since the table was built: the nightly run rewrites the comments
    model.write_text(sql)
    yml = project / "models/marts/product/_product__models.yml"
    yml.write_text(
        yml.read_text().replace("description: First event (UTC).", "description: First event, UTC.")
    )
    res = run_dbt(settings, ["run", "-s", "fct_app_sessions", *dirs], night)
    assert res.success, res.exception
    assert _q(settings, per_day) == before
    comment = (
        "select comment from duckdb_columns() where schema_name = 'marts'"
        " and table_name = 'fct_app_sessions' and column_name = 'started_at'"
    )
    assert _q(settings, comment) == [("First event, UTC.",)]
