from __future__ import annotations

import datetime as dt
import gzip
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from folio.simulator.engine import SimParams, simulate

REPO = Path(__file__).resolve().parent.parent
# `make test` and `make check` run on both cores (pytest-xdist, --dist loadfile): each test
# module is one unit of work, so its module fixtures are built once, and the modules that
# start from the shared simulated history are one unit, so it is loaded once. (xdist's own
# loadgroup cannot do this under pytest 9: it renames items through an attribute pytest 9
# no longer reads, and every test becomes its own unit.)
SHARED_HISTORY = {"test_idempotency.py", "test_superset.py"}


def pytest_xdist_make_scheduler(config, log):
    if config.getvalue("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class ModuleScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            module = nodeid.split("::", 1)[0]
            return "shared_history" if Path(module).name in SHARED_HISTORY else module

    return ModuleScheduling(config, log)


# small but busy: enough days for trials to end and subscriptions to renew, defects x4
TINY = SimParams(
    start=dt.date(2026, 3, 1), end=dt.date(2026, 5, 15), accounts=90, seed=11, defect_rate=4.0
)


@pytest.fixture(scope="session")
def tiny_landing(tmp_path_factory):
    """The simulator's output at a tiny scale, shared by the tests that only read it."""
    root = tmp_path_factory.mktemp("tiny")
    landing = root / "landing"
    summary = simulate(TINY, landing, f"sqlite:///{landing / 'app.db'}")
    return landing, summary


def read_lines(path: Path):
    """(line number, raw bytes, parsed object or None) for a gzip JSON-lines file."""
    with gzip.open(path, "rb") as fh:
        for n, raw in enumerate(fh, start=1):
            raw = raw.rstrip(b"\n")
            try:
                obj = json.loads(raw)
            except ValueError:
                obj = None
            yield n, raw, obj


@pytest.fixture()
def folio_env(tmp_path, monkeypatch):
    """A fresh FOLIO_HOME for one test (env for subprocesses and in-process settings)."""
    home = tmp_path / "home"
    monkeypatch.setenv("FOLIO_HOME", str(home))
    env = dict(os.environ, FOLIO_HOME=str(home))
    return home, env


@pytest.fixture(scope="session")
def postgres():
    """One private PostgreSQL server for the whole test run; tests take databases on it."""
    from pg import postgres_server

    with postgres_server() as server:
        yield server


@pytest.fixture(scope="session")
def spark(tmp_path_factory):
    """One local Spark session for the whole test run (JVM start ~8 s)."""
    from folio.config import Settings
    from folio.events.spark import session

    home = tmp_path_factory.mktemp("spark-home")
    s = session(Settings(home=home, spark_master="local[2]", spark_driver_memory="1g"))
    s.conf.set("spark.sql.shuffle.partitions", "4")
    yield s
    s.stop()


def fingerprint(home: Path) -> dict[str, list]:
    """(rows, checksum) of every mart in the served file, the run-recording ops marts aside
    (scripts/mart_fingerprints.py, every column kept)."""
    sys.path.insert(0, str(REPO / "scripts"))
    from mart_fingerprints import fingerprints

    return fingerprints(home / "warehouse" / "folio.duckdb", run_stamps=True)


# --- the end-to-end tests' shared set-up: one simulated history, loaded once through Airflow.
# `loaded_history` is the state before the history's last three days, `backfilled_history`
# adds them as one backfill run. Both are read-only: a test that runs more copies one first
# (`copy_home`), so no test sees another's runs.
FOLIO = str(Path(sys.executable).with_name("folio"))
E2E_START, E2E_END = dt.date(2026, 3, 1), dt.date(2026, 4, 30)
LAST_DAYS = [E2E_END - dt.timedelta(days=k) for k in (2, 1, 0)]  # loaded after the base
E2E_ACCOUNTS = 60


def run_folio(*args: str, home: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, **(env or {}), "FOLIO_HOME": str(home), "FOLIO_RETRY_DELAY_SECONDS": "1"}
    proc = subprocess.run(
        [FOLIO, *args], capture_output=True, text=True, env=env, cwd=REPO, timeout=900
    )
    assert proc.returncode == 0, f"folio {' '.join(args)}:\n{proc.stdout}\n{proc.stderr}"
    return proc


def copy_home(source: Path, target: Path) -> Path:
    """A FOLIO_HOME copied whole; hard links stay links (the served file is one to its
    snapshot, and publishing tells the served snapshot by it)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(["cp", "-a", str(source), str(target)], check=True)
    return target


@pytest.fixture(scope="session")
def loaded_history(tmp_path_factory) -> Path:
    """A history loaded through the day before LAST_DAYS (read-only: copy it to run on).

    The simulator writes the app DB once, in its final state, while a real app DB is
    extracted every night as it is then: an account created on 04-20 and changed on 04-29
    would be missing from a window that ends on 04-27. So the app rows are frozen at their
    creation (updated_at = created_at): extracting any window by updated_at then returns
    exactly what the nightly extracts would have returned.
    """
    home = tmp_path_factory.mktemp("history") / "base"
    run_folio(
        *(
            "simulate",
            "--accounts",
            str(E2E_ACCOUNTS),
            "--start",
            str(E2E_START),
            "--end",
            str(E2E_END),
        ),
        home=home,
    )
    with sqlite3.connect(home / "landing" / "app.db") as conn:
        for table in ("plans", "accounts", "users", "portfolio_sites", "images"):
            conn.execute(f"update {table} set updated_at = created_at")
    before = LAST_DAYS[0] - dt.timedelta(days=1)
    run_folio("run", "--start", str(E2E_START), "--end", str(before), home=home)
    return home


@pytest.fixture(scope="session")
def backfilled_history(loaded_history, tmp_path_factory) -> Path:
    """The whole history: LAST_DAYS loaded as one backfill run on a copy (read-only)."""
    home = copy_home(loaded_history, tmp_path_factory.mktemp("history") / "backfilled")
    run_folio("run", "--start", str(LAST_DAYS[0]), "--end", str(LAST_DAYS[-1]), home=home)
    return home
