"""`folio up` / `folio down`: the platform live on 127.0.0.1, as background processes.

Airflow's four services (api-server, scheduler, dag-processor, triggerer; LocalExecutor)
and Superset's web server (gunicorn) run detached, each in its own session, with a pid
file under ``FOLIO_HOME/run`` and a log under ``FOLIO_HOME/logs``. The nightly DAG is
unpaused, so the scheduler runs it on its schedule (02:00 UTC, for the day before).
``folio down`` stops every process group it started, whatever state they are in.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from folio.config import REPO_ROOT, Settings
from folio.core.errors import FolioError
from folio.core.process import running_pid, stop_group, wait_http
from folio.platform.orchestration import DAG_ID, airflow_env, ensure_airflow_db
from folio.superset import service as superset
from folio.warehouse.publish import served_path

AIRFLOW_SERVICES = ("api-server", "scheduler", "dag-processor", "triggerer")


@dataclass
class Running:
    name: str
    pid: int
    log: Path
    url: str | None = None


def run_dir(settings: Settings) -> Path:
    return settings.paths.run


def log_dir(settings: Settings) -> Path:
    return settings.paths.logs


def _pidfile(settings: Settings, name: str) -> Path:
    return run_dir(settings) / f"{name}.pid"


def pid_of(settings: Settings, name: str) -> int | None:
    """The pid of a service this FOLIO_HOME started, if it still runs."""
    return running_pid(_pidfile(settings, name))


def spawn(settings: Settings, name: str, argv: list[str], env: dict[str, str]) -> Running:
    """Start one detached service (its own process group); its pid goes to run/<name>.pid."""
    if (pid := pid_of(settings, name)) is not None:
        raise FolioError(f"{name} already runs (pid {pid}); `folio down` stops the platform")
    run_dir(settings).mkdir(parents=True, exist_ok=True)
    log = log_dir(settings) / f"{name}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as out, open(os.devnull, "rb") as devnull:
        proc = subprocess.Popen(
            argv,
            env=env,
            cwd=REPO_ROOT,
            stdin=devnull,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    _pidfile(settings, name).write_text(f"{proc.pid}\n")
    return Running(name, proc.pid, log)


def _airflow(settings: Settings, *args: str) -> subprocess.CompletedProcess:

    exe = str(Path(sys.executable).with_name("airflow"))
    return subprocess.run(
        [exe, *args], env=airflow_env(settings), capture_output=True, text=True, timeout=300
    )


def preflight(settings: Settings) -> list[str]:
    """What `folio up` warns about before it starts anything."""

    if served_path(settings).exists():
        return []
    return [
        f"no data published yet ({served_path(settings)} is missing): the dashboards say so"
        " until the nightly run publishes (or run `make run`)"
    ]


def up(settings: Settings, airflow_port: int = 8080, superset_port: int | None = None) -> dict:
    """Start Airflow and Superset; returns what runs, the URLs and the warnings."""

    settings.ensure_home()
    warnings = preflight(settings)
    ensure_airflow_db(settings)
    # the DAG must be known before it can be unpaused: parse it once, now
    parsed = _airflow(settings, "dags", "reserialize")
    if parsed.returncode != 0:
        raise FolioError(f"airflow dags reserialize failed: {parsed.stderr.strip()[-500:]}")
    env = {
        **airflow_env(settings),
        "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
        "AIRFLOW__API__PORT": str(airflow_port),
        "AIRFLOW__API__BASE_URL": f"http://127.0.0.1:{airflow_port}",
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{airflow_port}/execution/",
    }
    exe = str(Path(sys.executable).with_name("airflow"))
    argv = {
        "api-server": [
            *(exe, "api-server", "--host", "127.0.0.1", "--port", str(airflow_port)),
            *("--workers", "1"),
        ],
        "scheduler": [exe, "scheduler", "--skip-serve-logs"],
        "dag-processor": [exe, "dag-processor"],
        "triggerer": [exe, "triggerer", "--skip-serve-logs"],
    }
    started: list[Running] = []
    try:
        for name in AIRFLOW_SERVICES:
            started.append(spawn(settings, f"airflow-{name}", argv[name], env))
        api = started[0]
        api.url = f"http://127.0.0.1:{airflow_port}"
        wait_http(f"{api.url}/api/v2/monitor/health", api.pid, api.log, "Airflow's api-server")
        unpaused = _airflow(settings, "dags", "unpause", DAG_ID)
        if unpaused.returncode != 0:
            raise FolioError(f"airflow dags unpause failed: {unpaused.stderr.strip()[-500:]}")
        superset.init(settings)
        server = superset.start(settings, superset_port or settings.superset_port)
        started.append(Running("superset", server.pid, server.log, server.url))
    except BaseException:
        down(settings)
        raise
    return {
        "running": started,
        "airflow_credentials": settings.airflow_home
        / "simple_auth_manager_passwords.json.generated",
        "superset_credentials": superset.home(settings) / "admin_password",
        "warnings": warnings,
    }


def down(settings: Settings, wait_s: float = 30) -> list[str]:
    """Stop every service this FOLIO_HOME started (SIGTERM to the group, then SIGKILL)."""

    stopped = []
    if superset.stop(settings):
        stopped.append("superset")
    for name in (f"airflow-{s}" for s in AIRFLOW_SERVICES):
        pid = pid_of(settings, name)
        if pid is None:
            _pidfile(settings, name).unlink(missing_ok=True)
            continue
        stop_group(pid, wait_s)
        _pidfile(settings, name).unlink(missing_ok=True)
        stopped.append(name)
    return stopped
