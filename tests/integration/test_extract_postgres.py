"""The app-DB extract from a real PostgreSQL server (password auth on 127.0.0.1).

The simulator loads the same history into Postgres and SQLite; both extracts must put
identical rows in identical partitions. The password never shows in errors or logs.
"""

from __future__ import annotations

import datetime as dt
import logging

import duckdb
import pytest
import sqlalchemy as sa

from folio.config import Settings
from folio.contracts import appdb
from folio.core.errors import FolioError
from folio.core.window import Window
from folio.ingest.app_db import extract_app_db
from folio.ingest.app_db_read import app_db_url
from folio.simulator.engine import SimParams, simulate

P = SimParams(start=dt.date(2026, 2, 1), end=dt.date(2026, 3, 20), accounts=40, seed=5)


@pytest.fixture(scope="module")
def pg_url(postgres):
    return postgres.database("extract_app")


def _lake_rows(home) -> dict[str, list[tuple]]:
    out = {}
    for t in (*[t.name for t in appdb.TABLES], "deleted_rows"):
        if not list(home.glob(f"lake/raw/app_db/{t}/*/*.parquet")):
            out[t] = []  # no rows on any day: no partitions
            continue
        out[t] = duckdb.sql(
            f"select * from read_parquet('{home}/lake/raw/app_db/{t}/*/*.parquet',"
            " hive_partitioning = true) order by all"
        ).fetchall()
    return out


def test_postgres_and_sqlite_extracts_are_identical(tmp_path, pg_url, caplog):
    lite, pg = tmp_path / "lite", tmp_path / "pg"
    simulate(P, lite / "landing", f"sqlite:///{lite / 'landing' / 'app.db'}")
    simulate(P, pg / "landing", pg_url)
    password = sa.engine.make_url(pg_url).password
    assert password
    caplog.set_level(logging.DEBUG)
    # the history in two runs, then a rerun of a week: the incremental path on both engines
    for home, url in ((lite, None), (pg, pg_url)):
        s = Settings(home=home, app_db_url=url)
        first = extract_app_db(s, Window(P.start, dt.date(2026, 3, 1)), "a")
        second = extract_app_db(s, Window(dt.date(2026, 3, 2), P.end), "b")
        extract_app_db(s, Window(dt.date(2026, 3, 5), dt.date(2026, 3, 11)), "c")
        assert second.details["dialect"] == ("postgresql" if url else "sqlite")
    a, b = _lake_rows(lite), _lake_rows(pg)
    assert {k: len(v) for k, v in a.items()} == {k: len(v) for k, v in b.items()}
    assert len(a["images"]) > 500 and len(a["accounts"]) >= 40
    assert a == b
    assert first.rows + second.rows == sum(len(v) for k, v in b.items() if k != "deleted_rows")
    assert password not in caplog.text


def test_the_password_never_shows_in_errors(tmp_path, pg_url):
    good = sa.engine.make_url(pg_url)
    wrong = good.set(password="Wr0ng-s3cret-PW")
    s = Settings(home=tmp_path, app_db_url=wrong.render_as_string(hide_password=False))
    with pytest.raises(FolioError) as err:
        extract_app_db(s, Window(P.start, P.start), "x")
    msg = str(err.value)
    assert "Wr0ng-s3cret-PW" not in msg and good.password not in msg
    assert "password authentication failed" in msg and "***" in msg


def test_the_url_can_come_from_an_airflow_connection(tmp_path, pg_url, monkeypatch):
    u = sa.engine.make_url(pg_url)
    monkeypatch.setenv(
        "AIRFLOW_CONN_FOLIO_APP_DB",
        f"postgres://{u.username}:{u.password}@{u.host}:{u.port}/{u.database}",
    )
    s = Settings(home=tmp_path, app_db_conn_id="folio_app_db", app_db_url="sqlite:///nowhere")
    assert sa.engine.make_url(app_db_url(s)) == u
    monkeypatch.delenv("AIRFLOW_CONN_FOLIO_APP_DB")
    with pytest.raises(FolioError, match=r"'folio_app_db' .* is not usable"):
        app_db_url(s)
