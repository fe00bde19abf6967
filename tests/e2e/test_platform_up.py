"""The platform as services on existing engines, natively: the topology of docker-compose.yml.

One real PostgreSQL server on 127.0.0.1 holds Airflow's metadata, Superset's metadata and
the app database; a standalone Spark master and worker on 127.0.0.1 run the Spark stage.
The history is loaded first (`folio run --history`, as the runbook says), then `folio up`
starts Airflow (LocalExecutor) and Superset on those engines:

- the scheduler runs ``folio_nightly`` for yesterday by itself (the schedule), then a run
  triggered through the REST API reruns that day, and the served marts stay the same;
- every Spark stage ran its executors on the standalone worker;
- Superset, its metadata in Postgres, serves every chart of the bundle from the result;
- everything listens on 127.0.0.1 only, and `folio down` leaves no process behind;
- the Postgres password is in no command's output and no file of FOLIO_HOME (logs included).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import psycopg
import pytest
import requests
import yaml
from conftest import REPO, fingerprint
from ports import free_port
from spark_cluster import spark_cluster

from folio.superset.bundle import BUNDLE
from folio.superset.client import Client

pytestmark = pytest.mark.slow
FOLIO = str(Path(sys.executable).with_name("folio"))
SERVICES = ("airflow-api-server", "airflow-scheduler", "airflow-dag-processor", "airflow-triggerer")


def _group(pgid: int) -> set[int]:
    """Every live process of a process group (a service and what it forked)."""
    pids = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            pids.add(int(entry.name))
    return pids


def _listening(pids: set[int]) -> set[tuple[str, int]]:
    """(address, port) of every TCP socket in LISTEN state owned by these processes."""
    inodes = set()
    for pid in pids:
        try:
            for fd in Path(f"/proc/{pid}/fd").iterdir():
                target = os.readlink(fd)
                if target.startswith("socket:["):
                    inodes.add(target[8:-1])
        except OSError:
            continue
    found = set()
    for table, v6 in (("/proc/net/tcp", False), ("/proc/net/tcp6", True)):
        for line in Path(table).read_text().splitlines()[1:]:
            cols = line.split()
            if cols[3] != "0A" or cols[9] not in inodes:  # 0A = LISTEN
                continue
            addr, port = cols[1].split(":")
            if v6:
                ip = "::1" if addr == "0" * 24 + "01000000" else f"v6:{addr}"
            else:
                ip = socket.inet_ntoa(bytes.fromhex(addr)[::-1])
            found.add((ip, int(port, 16)))
    return found


def scheduled_day(now: dt.datetime) -> dt.date:
    """The day the scheduler's first run processes: its latest complete 02:00-02:00 interval."""
    end = now.replace(hour=2, minute=0, second=0, microsecond=0)
    if now < end:
        end -= dt.timedelta(days=1)
    return (end - dt.timedelta(days=1)).date()


def _away_from_0200() -> dt.datetime:
    """Now, unless a new interval is about to close (the day would change mid-test): then wait."""
    now = dt.datetime.now(dt.UTC)
    boundary = now.replace(hour=2, minute=0, second=0, microsecond=0)
    if dt.timedelta(minutes=-15) < now - boundary < dt.timedelta(minutes=1):
        time.sleep((boundary - now).total_seconds() + 60)
        now = dt.datetime.now(dt.UTC)
    return now


def _chart_tables() -> dict[str, tuple[str, bool]]:
    """Chart uuid -> (the mart its dataset reads, whether it filters rows beyond the dates),
    from the committed bundle."""

    def load(path: Path) -> dict:
        return yaml.safe_load(path.read_text())

    tables = {load(p)["uuid"]: load(p)["table_name"] for p in (BUNDLE / "datasets").rglob("*.yaml")}
    out = {}
    for path in (BUNDLE / "charts").glob("*.yaml"):
        chart = load(path)
        filters = chart["params"].get("adhoc_filters", [])
        filtered = any(f.get("operator") != "TEMPORAL_RANGE" for f in filters)
        out[chart["uuid"]] = (tables[chart["dataset_uuid"]], filtered)
    return out


def _rows(con: duckdb.DuckDBPyConnection, table: str) -> int:
    return con.execute(f"select count(*) from marts.{table}").fetchall()[0][0]


def _query_ledger(home: Path, sql: str) -> list:
    with sqlite3.connect(home / "ops" / "ledger.sqlite") as conn:
        return [row[0] for row in conn.execute(sql)]


def _query(url: str, sql: str) -> list[tuple]:
    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as conn:
        return conn.execute(sql).fetchall()


class Airflow:
    def __init__(self, port: int, home: Path):
        self.url = f"http://127.0.0.1:{port}"
        creds = home / "airflow" / "simple_auth_manager_passwords.json.generated"
        password = json.loads(creds.read_text())["admin"]
        token = requests.post(
            f"{self.url}/auth/token", json={"username": "admin", "password": password}, timeout=30
        ).json()["access_token"]
        self.headers = {"Authorization": f"Bearer {token}"}

    def get(self, path: str) -> dict:
        resp = requests.get(f"{self.url}/api/v2{path}", headers=self.headers, timeout=30)
        resp.raise_for_status()
        return resp.json()

    def runs(self) -> list[dict]:
        return self.get("/dags/folio_nightly/dagRuns?order_by=run_after")["dag_runs"]

    def wait(self, find, what: str, timeout: float) -> dict:
        """The run ``find`` picks out of the DAG's runs, once it has finished."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            run = next((r for r in self.runs() if find(r)), None)
            if run and run["state"] in ("success", "failed"):
                return run
            time.sleep(5)
        raise AssertionError(f"{what}: not finished after {timeout:.0f} s: {self.runs()}")

    def failed_tasks(self, run_id: str) -> list:
        tis = self.get(f"/dags/folio_nightly/dagRuns/{run_id}/taskInstances")["task_instances"]
        return [(t["task_id"], t["state"]) for t in tis if t["state"] != "success"]


def test_native_topology_postgres_airflow_spark_cluster_superset(postgres, tmp_path):
    now = _away_from_0200()
    day = scheduled_day(now)
    home = tmp_path / "home"
    af_port, ss_port = free_port(), free_port()
    app_url = postgres.database("topology_app")
    airflow_url = postgres.database("topology_airflow")
    superset_db = postgres.database("topology_superset")  # Superset's venv has psycopg2
    with spark_cluster() as (master, spark_work):
        env = {
            **os.environ,
            "FOLIO_HOME": str(home),
            "FOLIO_APP_DB_URL": app_url,
            "FOLIO_AIRFLOW_DB_URL": airflow_url,
            "FOLIO_SUPERSET_DB_URL": superset_db.replace("+psycopg:", "+psycopg2:"),
            "FOLIO_SPARK_MASTER": master,
            "FOLIO_RETRY_DELAY_SECONDS": "5",
            "AIRFLOW__CORE__PARALLELISM": "2",
        }

        outputs: list[str] = []

        def folio(*args: str, timeout: float = 900) -> subprocess.CompletedProcess:
            proc = subprocess.run(
                [FOLIO, *args], capture_output=True, text=True, env=env, cwd=REPO, timeout=timeout
            )
            outputs.append(proc.stdout + proc.stderr)
            assert proc.returncode == 0, f"folio {args}:\n{proc.stdout[-3000:]}\n{proc.stderr}"
            return proc

        # 45 days: enough for trials to convert and for funnel cohorts to complete (30 days)
        start = day - dt.timedelta(days=44)
        folio("simulate", "--start", str(start), "--end", str(day), "--accounts", "100")
        folio("run", "--history")  # the history up to the scheduled day, before going live
        history = fingerprint(home)
        pids: dict[str, int] = {}
        try:
            up = folio("up", "--airflow-port", str(af_port), "--superset-port", str(ss_port))
            assert f"http://127.0.0.1:{af_port}" in up.stdout
            assert "no data published yet" not in up.stdout
            pids = {name: int((home / "run" / f"{name}.pid").read_text()) for name in SERVICES}
            pids["superset"] = int((home / "superset" / "gunicorn.pid").read_text())
            listening = set()
            for pgid in pids.values():
                listening |= _listening(_group(pgid))
            assert ("127.0.0.1", af_port) in listening and ("127.0.0.1", ss_port) in listening
            assert {ip for ip, _ in listening} == {"127.0.0.1"}, listening
            scheduler_log = (home / "logs" / "airflow-scheduler.log").read_text()
            assert "Loaded executor: :LocalExecutor:" in scheduler_log

            # 1. the schedule: the scheduler creates and runs yesterday's run by itself
            airflow = Airflow(af_port, home)
            assert airflow.get("/dags/folio_nightly")["is_paused"] is False
            scheduled = airflow.wait(lambda r: r["run_type"] == "scheduled", "scheduled run", 900)
            assert scheduled["state"] == "success", airflow.failed_tasks(scheduled["dag_run_id"])
            assert scheduled["data_interval_start"].startswith(f"{day}T02:00:00")
            after_schedule = fingerprint(home)
            assert after_schedule == history  # the latest day again: the same marts

            # 2. the REST API: an operator reruns the day (no logical date; the window in conf)
            resp = requests.post(
                f"{airflow.url}/api/v2/dags/folio_nightly/dagRuns",
                headers=airflow.headers,
                json={"logical_date": None, "conf": {"start": str(day), "end": str(day)}},
                timeout=30,
            )
            assert resp.status_code == 200, resp.text
            run_id = resp.json()["dag_run_id"]
            rerun = airflow.wait(lambda r: r["dag_run_id"] == run_id, "REST-triggered run", 900)
            assert rerun["state"] == "success", airflow.failed_tasks(run_id)
            assert rerun["triggered_by"] == "rest_api"
            assert fingerprint(home) == history

            # Airflow's metadata is in Postgres: the three runs are there, and the manual
            # ones hold no logical date (a `folio run` that took one held a scheduled slot,
            # and the scheduler then stalled on it)
            kinds = _query(
                airflow_url,
                "select run_type, state, logical_date is null from dag_run"
                " where dag_id = 'folio_nightly' order by id",
            )
            assert kinds == [
                ("manual", "success", True),
                ("scheduled", "success", False),
                ("manual", "success", True),
            ]

            # 3. Spark: each run's Spark stage ran its executors on the standalone worker
            apps = sorted(p.name for p in spark_work.glob("app-*"))
            assert len(apps) >= 3, apps

            # 4. Superset on Postgres metadata serves every chart from the result: rows,
            # except where the served mart is empty (45 days hold no labelled churn
            # examples: no model, no scores yet) or the chart filters them out (failed
            # checks only, completed funnel cohorts only)
            password = (home / "superset" / "admin_password").read_text().strip()
            client = Client(f"http://127.0.0.1:{ss_port}", "admin", password).login()
            chart_tables = _chart_tables()
            with duckdb.connect(str(home / "warehouse" / "folio.duckdb"), read_only=True) as con:
                empty = {t for t, _ in chart_tables.values() if not _rows(con, t)}
            assert empty <= {"ml_model_versions", "fct_churn_scores", "at_risk_accounts"}, empty
            failures, with_rows = [], 0
            for chart in client.charts():
                resp = client.chart_data(chart["id"])
                result = resp.json()["result"][0] if resp.status_code == 200 else {}
                table, filtered = chart_tables[chart["uuid"]]
                if resp.status_code != 200 or result.get("error"):
                    failures.append((chart["slice_name"], resp.status_code, resp.text[:300]))
                elif result["rowcount"]:
                    with_rows += 1
                elif table not in empty and not filtered:
                    failures.append((chart["slice_name"], "no rows", table))
            assert not failures, failures
            assert with_rows >= 20, with_rows
            dashboards = _query(superset_db, "select count(*) from dashboards")
            assert dashboards == [(6,)]
        finally:
            down = subprocess.run(
                [FOLIO, "down"], capture_output=True, text=True, env=env, cwd=REPO, timeout=300
            )
        assert down.returncode == 0, down.stderr
        for pgid in pids.values():
            assert not _group(pgid), f"process group {pgid} still runs"
        assert not list((home / "run").glob("*.pid"))

    # 5. the app DB was read from Postgres, and the server's password (all three databases
    # take it) is in no command's output and no file under FOLIO_HOME: no log, no stamp
    extract = _query_ledger(home, "select details from task_runs where task_id = 'extract_app_db'")
    assert extract and all('"dialect": "postgresql"' in d for d in extract)
    password = app_url.split(":")[2].split("@")[0].encode()
    assert not [
        i for i, out in enumerate([*outputs, down.stdout + down.stderr]) if password.decode() in out
    ]
    files = [p for p in home.rglob("*") if p.is_file()]
    assert any(p.suffix == ".log" for p in files) and (home / "airflow" / "logs").is_dir()
    assert not [p for p in files if password in p.read_bytes()]
