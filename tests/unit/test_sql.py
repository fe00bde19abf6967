"""`folio sql`: read-only queries on the served file, as a table, CSV or JSON."""

from __future__ import annotations

import datetime as dt
import decimal
import json

import duckdb
import pytest

from folio.core.errors import FolioError
from folio.warehouse import sql


@pytest.fixture
def served(tmp_path):
    path = tmp_path / "folio.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("create schema marts")
        con.execute(
            "create table marts.mrr_monthly as select * from (values"
            " (date '2026-10-01', 12.50::decimal(18,2), 3),"
            " (date '2026-11-01', 20.00::decimal(18,2), NULL)) t(month, mrr, accounts)"
        )
    return path


def test_a_query_renders_as_a_table_csv_and_json(served):
    cols, rows = sql.run(served, "select * from marts.mrr_monthly order by month")
    assert cols == ["month", "mrr", "accounts"]
    assert rows[0] == (dt.date(2026, 10, 1), decimal.Decimal("12.50"), 3)
    table = sql.render(cols, rows, "table").splitlines()
    assert table[0].split("|")[0].strip() == "month" and table[-1] == "(2 rows)"
    assert table[2].endswith("|        3")  # numbers right-aligned
    assert sql.render(cols, rows, "csv").splitlines() == [
        "month,mrr,accounts",
        "2026-10-01,12.50,3",
        "2026-11-01,20.00,",
    ]
    assert json.loads(sql.render(cols, rows, "json"))[1] == {
        "month": "2026-11-01",
        "mrr": 20.0,
        "accounts": None,
    }


@pytest.mark.parametrize(
    ("query", "error"),
    [
        ("delete from marts.mrr_monthly", "read-only"),
        ("create table marts.x (a int)", "read-only"),
        ("select * from read_csv('/etc/passwd')", "file system operations are disabled"),
        ("attach '/tmp/any.duckdb' as other", "file system operations are disabled"),
        ("set enable_external_access = true", "Cannot change configuration option"),
        ("select * from marts.nope", "nope"),
    ],
)
def test_writes_files_and_settings_are_refused_with_a_clear_error(served, query, error):
    with pytest.raises(FolioError, match=error):
        sql.run(served, query)
    assert sql.run(served, "select count(*) from marts.mrr_monthly")[1] == [(2,)]


def test_no_served_file_says_nothing_is_published_yet(tmp_path):
    missing = tmp_path / "folio.duckdb"
    with pytest.raises(FolioError, match="no data published yet"):
        sql.run(missing, "select 1")
    assert not missing.exists()  # read-only: never creates an empty file
