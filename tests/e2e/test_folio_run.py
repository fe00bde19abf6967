"""`folio run` executes folio_nightly through Airflow on a tiny simulated history."""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import duckdb
import pytest
from conftest import REPO
from ports import free_port
from webhook import receiver

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
            # exposures (the churn model, the dashboards) are reported as no-op: nothing to run
            " from dbt_results where run_id = ? and resource_type != 'exposure'",
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


def _served(home: Path) -> tuple[int, str]:
    """The served file's inode and content hash: unchanged means nothing was published."""
    path = home / "warehouse" / "folio.duckdb"
    return path.stat().st_ino, hashlib.sha256(path.read_bytes()).hexdigest()


def _since(home: Path, t0: str) -> dict[str, dict]:
    """The last attempt of every task started at or after t0 (one run's rows)."""
    return {r["task_id"]: r for r in _ledger(home) if r["started_at"] >= t0}


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def test_the_gates_hold_against_a_bad_raw_batch_and_a_bad_mart_row(home, tmp_path):
    """Each fails the run naming what failed, publish never runs, the served file is unchanged."""
    home, env = home
    before = _served(home)

    # a bad raw batch: the day's Segment export delivered, but cut to its first 2 lines
    day = home / "landing" / "segment" / "dt=2026-04-20"
    kept = tmp_path / "segment"
    shutil.copytree(day, kept)
    for f in day.glob("*.jsonl.gz"):
        with gzip.open(f, "rt") as fh:
            head = [fh.readline() for _ in range(2)]
        with gzip.open(f, "wt") as fh:
            fh.writelines(head)
    t0 = _now()
    try:
        proc = folio("run", "--date", "2026-04-20", env=env)
    finally:
        shutil.rmtree(day)
        shutil.copytree(kept, day)
    assert proc.returncode == 1
    run = _since(home, t0)
    gate = run["validate_raw"]
    assert gate["state"] == "failed" and gate["try_number"] == 1  # no retries for bad data
    assert "quality gate validate_raw failed" in gate["error"]
    assert "raw.events.clean_events" in gate["error"]
    assert "expect_table_row_count_to_be_between" in gate["error"]
    assert "build_marts" not in run and "publish" not in run
    assert _served(home) == before

    # a bad mart row: an app account whose sign-up date lies after the data interval
    app = home / "landing" / "app.db"
    with sqlite3.connect(app) as conn:
        acc_id, signed_up = conn.execute(
            "select id, signed_up_at from accounts order by id limit 1"
        ).fetchone()
        conn.execute(
            "update accounts set signed_up_at = '2031-01-01 00:00:00',"
            " updated_at = '2026-04-20 12:00:00' where id = ?",
            (acc_id,),
        )
    t0 = _now()
    proc = folio("run", "--date", "2026-04-20", env=env)
    assert proc.returncode == 1
    run = _since(home, t0)
    assert run["validate_raw"]["state"] == run["build_marts"]["state"] == "success"
    gate = run["validate_marts"]
    assert gate["state"] == "failed" and gate["try_number"] == 1
    assert "quality gate validate_marts failed" in gate["error"]
    assert "marts.dim_accounts" in gate["error"] and "(signed_up_date)" in gate["error"]
    assert "2031-01-01" in gate["error"]
    assert "publish" not in run
    assert _served(home) == before
    status = folio("status", env=env)
    assert "quality gate validate_marts failed" in status.stdout
    # no webhook configured: the alert is recorded, and shown, as not sent
    assert "alert task_failed NOT SENT (no webhook configured" in status.stdout

    # fixed at the source, the same day runs clean and is published
    with sqlite3.connect(app) as conn:
        conn.execute(
            "update accounts set signed_up_at = ?, updated_at = '2026-04-20 13:00:00' where id = ?",
            (signed_up, acc_id),
        )
    t0 = _now()
    proc = folio("run", "--date", "2026-04-20", env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert _since(home, t0)["publish"]["state"] == "success"
    assert _served(home) != before
    # and the served ops marts tell the story of the two failed runs
    with duckdb.connect(str(home / "warehouse" / "folio.duckdb"), read_only=True) as con:
        blocking = con.execute(
            "select stage, suite, check_name from marts.fct_data_quality where is_blocking"
            " order by stage"
        ).fetchall()
        failed = con.execute(
            "select task_id, attempts from marts.fct_pipeline_runs where task_state = 'failed'"
            " and window_start = date '2026-04-20' order by task_id"
        ).fetchall()
    assert (
        "validate_marts",
        "marts.dim_accounts",
        "#2 expect_column_values_to_be_between(signed_up_date)",
    ) in blocking
    assert any(
        s == "validate_raw" and suite == "raw.events.clean_events" for s, suite, _ in blocking
    )
    assert failed == [("validate_marts", 1), ("validate_raw", 1)]


def test_folio_docs_serves_dbt_and_gx_docs_on_loopback(home):
    home, env = home
    port = free_port()
    proc = subprocess.Popen(
        [FOLIO, "docs", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        pages = {}
        for path in ("/", "/dbt/index.html", "/dbt/manifest.json", "/gx/index.html"):
            for _ in range(50):
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as r:
                        pages[path] = r.read().decode()
                    break
                except OSError:
                    time.sleep(0.2)
        assert set(pages) == {"/", "/dbt/index.html", "/dbt/manifest.json", "/gx/index.html"}
        assert "fct_data_quality" in pages["/dbt/manifest.json"]
        assert "marts.dim_accounts" in pages["/gx/index.html"]
        # bound to loopback only
        with socket.socket() as s:
            assert s.connect_ex(("127.0.0.1", port)) == 0
        own = socket.gethostbyname(socket.gethostname())
        if not own.startswith("127."):
            with socket.socket() as s:
                s.settimeout(1)
                assert s.connect_ex((own, port)) != 0
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_a_missing_delivery_fails_the_run_and_is_recorded(home):
    home, env = home
    mark = home / "landing" / "segment" / "_delivered" / "2026-04-10"
    backup = mark.with_name("kept")
    shutil.move(mark, backup)
    try:
        with receiver() as (url, messages):
            proc = folio("run", "--date", "2026-04-10", env={**env, "FOLIO_ALERT_WEBHOOK_URL": url})
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
    # Airflow's failure callback posted one alert, after the last attempt only
    [alert] = messages
    assert "task *check_sources* failed (window 2026-04-10..2026-04-10)" in alert["text"]
    assert "after 3 attempt(s)" in alert["text"] and "first 2026-04-10" in alert["text"]
    status = folio("status", env=env)
    assert "failed" in status.stdout and "sources not delivered" in status.stdout
    assert "alert task_failed sent: :red_circle: folio_nightly" in status.stdout
