"""`folio run` executes folio_nightly through Airflow on a tiny simulated history."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO

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

    status = folio("status", env=env)
    assert status.returncode == 0
    assert "2026-04-01..2026-04-20" in status.stdout and "success" in status.stdout


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
