"""Pieces of `folio up` and of the Airflow wiring that need no running service."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest

from folio.config import Settings
from folio.core.errors import FolioError
from folio.core.window import Window
from folio.pipeline.tasks import context_window
from folio.platform.orchestration import airflow_env
from folio.platform.services import preflight
from folio.warehouse.publish import served_path


def test_up_warns_until_something_is_published(tmp_path):
    settings = Settings(home=tmp_path / "home")
    (warning,) = preflight(settings)
    assert warning.startswith("no data published yet") and str(served_path(settings)) in warning
    served_path(settings).parent.mkdir(parents=True)
    served_path(settings).touch()
    assert preflight(settings) == []


def test_airflow_on_postgres_uses_psycopg_for_its_async_engine_too(tmp_path, monkeypatch):
    monkeypatch.delenv("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN_ASYNC", raising=False)
    url = "postgresql+psycopg://airflow:pw@127.0.0.1:5432/airflow"
    env = airflow_env(Settings(home=tmp_path, airflow_db_url=url))
    assert env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] == url
    # Airflow would derive postgresql+asyncpg, a driver the locks do not hold
    assert env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN_ASYNC"] == url
    sqlite = airflow_env(Settings(home=tmp_path))
    assert "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN_ASYNC" not in sqlite  # aiosqlite is there


def _context(start, end, conf):
    return {
        "data_interval_start": start,
        "data_interval_end": end,
        "dag_run": SimpleNamespace(conf=conf),
    }


def test_the_window_of_scheduled_and_manual_runs():
    d = dt.datetime(2026, 5, 2, 2, tzinfo=dt.UTC)
    scheduled = _context(d, d + dt.timedelta(days=1), {})
    assert context_window(scheduled) == Window(dt.date(2026, 5, 2), dt.date(2026, 5, 2))
    # a manual run without a logical date has no interval: the window comes from its conf
    manual = _context(None, None, {"start": "2026-05-01", "end": "2026-05-03"})
    assert context_window(manual) == Window(dt.date(2026, 5, 1), dt.date(2026, 5, 3))
    with pytest.raises(FolioError, match=r'conf \{"start"'):
        context_window(_context(None, None, {}))
