"""`folio run` executes folio_nightly through Airflow on a tiny simulated history."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from conftest import REPO
from pg import postgres_server

pytestmark = pytest.mark.slow
FOLIO = str(Path(sys.executable).with_name("folio"))


def folio(*args, env):
    return subprocess.run(
        [FOLIO, *args], capture_output=True, text=True, env=env, cwd=REPO, timeout=600
    )


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    home = tmp_path_factory.mktemp("e2e") / "home"
    env = {**__import__("os").environ, "FOLIO_HOME": str(home), "FOLIO_RETRY_DELAY_SECONDS": "1"}
    proc = folio(
        "simulate", "--accounts", "25", "--start", "2026-04-01", "--end", "2026-04-20", env=env
    )
    assert proc.returncode == 0, proc.stderr
    return home, env


def _ledger(home):
    with sqlite3.connect(home / "ops" / "ledger.sqlite") as conn:
        conn.row_factory = sqlite3.Row
        return [dict(r) for r in conn.execute("select * from task_runs order by started_at")]


def test_run_one_day_then_a_range(home):
    home, env = home
    proc = folio("run", "--date", "2026-04-20", env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "success" in proc.stdout and "check_sources" in proc.stdout
    rows = _ledger(home)
    checks = [r for r in rows if r["task_id"] == "check_sources"]
    assert [(r["window_start"], r["window_end"], r["state"]) for r in checks] == [
        ("2026-04-20", "2026-04-20", "success")
    ]
    assert checks[0]["rows"] > 0
    one_day = checks[0]["rows"]

    proc = folio("run", "--history", env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    checks = [r for r in _ledger(home) if r["task_id"] == "check_sources"]
    assert (checks[-1]["window_start"], checks[-1]["window_end"]) == ("2026-04-01", "2026-04-20")
    assert checks[-1]["rows"] > 5 * one_day
    # the loaders ran in the DAG: every app row and every good Stripe line is in the lake
    last = {r["task_id"]: r for r in _ledger(home) if r["window_start"] == "2026-04-01"}
    assert last["extract_app_db"]["state"] == last["load_stripe"]["state"] == "success"
    with sqlite3.connect(home / "landing" / "app.db") as conn:
        app_rows = sum(
            conn.execute(f"select count(*) from {t}").fetchone()[0]
            for t in ("plans", "accounts", "users", "portfolio_sites", "images")
        )
    assert last["extract_app_db"]["rows"] == app_rows
    lake = duckdb.sql(
        f"select count(*) from read_parquet('{home}/lake/raw/stripe/*/*/*.parquet',"
        " union_by_name = true) where raw_json is not null"
    ).fetchall()[0][0]
    assert last["load_stripe"]["rows"] == lake > 0
    with sqlite3.connect(home / "ops" / "ledger.sqlite") as conn:
        read, written, quarantined = conn.execute(
            "select sum(lines_read), sum(rows_written), sum(rows_quarantined) from ingest_files"
            " where source = 'stripe' and run_id = ?",
            (last["load_stripe"]["run_id"],),
        ).fetchone()
    assert written == lake and read == written + quarantined
    # dbt built the marts in the same run, every model and test recorded
    assert last["build_marts"]["state"] == "success"
    with duckdb.connect(str(home / "warehouse" / "build.duckdb"), read_only=True) as con:
        accounts = con.execute("select count(*) from marts.dim_accounts").fetchall()[0][0]
        (app_accounts,) = (
            sqlite3.connect(home / "landing" / "app.db")
            .execute("select count(*) from accounts")
            .fetchone()
        )
        assert accounts == app_accounts == 25
    with sqlite3.connect(home / "ops" / "ledger.sqlite") as conn:
        nodes = conn.execute(
            "select count(*), count(*) filter (where status in ('success', 'pass'))"
            " from dbt_results where run_id = ?",
            (last["build_marts"]["run_id"],),
        ).fetchone()
    assert nodes[0] > 50 and nodes[0] == nodes[1]
    # and published them: the served file is the run's verified snapshot
    assert last["publish"]["state"] == "success"
    with duckdb.connect(str(home / "warehouse" / "folio.duckdb"), read_only=True) as con:
        assert con.execute("select count(*) from marts.dim_accounts").fetchall() == [(25,)]
        assert con.execute("select run_id from meta.publication").fetchall() == [
            (last["publish"]["run_id"],)
        ]

    status = folio("status", env=env)
    assert status.returncode == 0
    assert "2026-04-01..2026-04-20" in status.stdout and "success" in status.stdout
    assert f"stripe {written:,} / {quarantined:,}" in status.stdout
    assert f"app_db {app_rows:,} / 0" in status.stdout


def test_a_missing_delivery_fails_the_run_and_is_recorded(home):
    home, env = home
    mark = home / "landing" / "segment" / "_delivered" / "2026-04-10"
    backup = mark.with_name("kept")
    shutil.move(mark, backup)
    try:
        proc = folio("run", "--date", "2026-04-10", env=env)
    finally:
        shutil.move(backup, mark)
    assert proc.returncode == 1
    assert "ended failed" in proc.stderr and "Traceback" not in proc.stderr
    failed = [
        r
        for r in _ledger(home)
        if r["task_id"] == "check_sources" and r["window_start"] == "2026-04-10"
    ]
    # three attempts (retries=2), each failed, each with the reason
    assert [r["try_number"] for r in failed] == [1, 2, 3]
    assert all(
        r["state"] == "failed" and "segment: 1 day(s), first 2026-04-10" in r["error"]
        for r in failed
    )
    status = folio("status", env=env)
    assert "failed" in status.stdout and "sources not delivered" in status.stdout


def test_a_run_on_postgres_never_logs_the_password(tmp_path):
    """The app DB on a password-protected Postgres: the run works, no log holds the secret."""
    home = tmp_path / "home"
    with postgres_server() as url:
        password = url.split(":")[2].split("@")[0]
        env = {
            **__import__("os").environ,
            "FOLIO_HOME": str(home),
            "FOLIO_APP_DB_URL": url,
            "FOLIO_RETRY_DELAY_SECONDS": "1",
        }
        proc = folio(
            "simulate",
            "--accounts",
            "10",
            "--start",
            "2026-04-01",
            "--end",
            "2026-04-05",
            env=env,
        )
        assert proc.returncode == 0, proc.stderr
        proc = folio("run", "--date", "2026-04-05", env=env)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert "extract_app_db" in proc.stdout
        rows = {r["task_id"]: r for r in _ledger(home)}
        assert rows["extract_app_db"]["state"] == "success"
        assert '"dialect": "postgresql"' in rows["extract_app_db"]["details"]
    logs = [p for p in home.rglob("*") if p.is_file() and p.suffix in (".log", "")]
    assert any(p.suffix == ".log" for p in logs)
    for p in [*home.rglob("*.log"), *(home / "airflow" / "logs").rglob("*")]:
        if p.is_file():
            assert password not in p.read_text(errors="replace"), p
    assert password not in proc.stdout + proc.stderr
