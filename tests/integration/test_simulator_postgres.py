"""The simulator writes the app database to a real PostgreSQL server as it does to SQLite."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from folio.contracts import appdb
from folio.simulator.engine import SimParams, simulate


@pytest.fixture(scope="module")
def pg_url(postgres):
    return postgres.database("simulated_app")


def _rows(url):
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return {
                t.name: [tuple(r) for r in conn.execute(sa.select(t).order_by(t.c.id))]
                for t in appdb.TABLES
            }
    finally:
        engine.dispose()


def test_postgres_app_db_equals_sqlite(tmp_path, pg_url):
    p = SimParams(start=dt.date(2026, 2, 1), end=dt.date(2026, 3, 20), accounts=40, seed=5)
    simulate(p, tmp_path / "a", f"sqlite:///{tmp_path / 'a' / 'app.db'}")
    simulate(p, tmp_path / "b", pg_url)
    lite, pg = _rows(f"sqlite:///{tmp_path / 'a' / 'app.db'}"), _rows(pg_url)
    assert {k: len(v) for k, v in pg.items()} == {k: len(v) for k, v in lite.items()}
    assert len(pg["images"]) > 500
    assert pg == lite
    # a second simulation replaces the tables, it does not append
    simulate(p, tmp_path / "b", pg_url)
    assert _rows(pg_url) == pg
