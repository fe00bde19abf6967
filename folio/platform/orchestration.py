"""Airflow as folio drives it: its environment, its metadata DB, and in-process DAG runs.

The nightly DAG always runs through Airflow. `folio run` uses Airflow's `dag.test` (one run,
in-process, no scheduler needed); the same DAG runs under a scheduler in production.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import secrets
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from folio.config import REPO_ROOT, Settings
from folio.core.errors import FolioError
from folio.core.window import Window

DAG_ID = "folio_nightly"


def _secret_file(path: Path, nbytes: int = 48) -> str:
    """A secret generated once under FOLIO_HOME, mode 600."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_urlsafe(nbytes))
    return path.read_text().strip()


def airflow_env(settings: Settings) -> dict[str, str]:
    """Environment for Airflow processes: home, DB, DAG folder, loopback-only, quiet tools."""
    home = settings.airflow_home
    env = dict(os.environ)
    env.update(
        {
            "FOLIO_HOME": str(settings.home),
            "AIRFLOW_HOME": str(home),
            "AIRFLOW__CORE__DAGS_FOLDER": str(REPO_ROOT / "dags"),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__PARALLELISM": env.get("AIRFLOW__CORE__PARALLELISM", "4"),
            "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "True",
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": settings.airflow_db,
            "AIRFLOW__LOGGING__BASE_LOG_FOLDER": str(home / "logs"),
            "AIRFLOW__API__HOST": "127.0.0.1",
            "AIRFLOW__API_AUTH__JWT_SECRET": env.get("AIRFLOW__API_AUTH__JWT_SECRET")
            or _secret_file(home / "jwt_secret"),
            "SPARK_LOCAL_IP": "127.0.0.1",
            "GX_ANALYTICS_ENABLED": "False",
            "DO_NOT_TRACK": "1",
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        }
    )
    if settings.airflow_db.startswith("postgresql+psycopg://"):
        # Airflow derives its async URL as postgresql+asyncpg, a driver this venv lacks;
        # psycopg 3 is sync and async in one, so the same URL serves both engines
        env.setdefault("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN_ASYNC", settings.airflow_db)
    return env


def _airflow_bin() -> str:
    exe = Path(sys.executable).with_name("airflow")
    if not exe.exists():
        raise FolioError(f"airflow is not installed next to {sys.executable}: run `make setup`")
    return str(exe)


def ensure_airflow_db(settings: Settings) -> None:
    """`airflow db migrate` once per metadata DB and Airflow version (stamped).

    The stamp holds a digest of the metadata DB's URL, never the URL: it carries the password.
    """
    import airflow

    home = settings.airflow_home
    home.mkdir(parents=True, exist_ok=True)
    stamp = home / ".migrated"
    digest = hashlib.sha256(settings.airflow_db.encode()).hexdigest()
    want = f"{airflow.__version__} {digest}"
    if stamp.exists() and stamp.read_text() == want:
        return
    proc = subprocess.run(
        [_airflow_bin(), "db", "migrate"], env=airflow_env(settings), capture_output=True, text=True
    )
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["(no output)"]
        raise FolioError(f"airflow db migrate failed: {tail[0]}")
    stamp.write_text(want)


def logical_date_for(window: Window) -> dt.datetime:
    """The logical date whose data interval is the window's last day (02:00 UTC the day after)."""
    return dt.datetime.combine(window.end + dt.timedelta(days=1), dt.time(2), tzinfo=dt.UTC)


@dataclass
class DagRunInfo:
    run_id: str
    state: str
    start_date: dt.datetime | None
    end_date: dt.datetime | None
    conf: dict[str, Any]

    @property
    def seconds(self) -> float | None:
        if self.start_date and self.end_date:
            return (self.end_date - self.start_date).total_seconds()
        return None


def run_dag(settings: Settings, window: Window, log_path: Path) -> DagRunInfo:
    """Run folio_nightly for ``window`` in-process (Airflow's ``dag.test``); raise if it failed.

    The run has no logical date, as a run triggered through the REST API without one: it
    never takes the slot of a scheduled run. (``airflow dags test`` always sets one, and
    the interval it infers ends at that date, so the run held the logical date of the
    *next* day's scheduled run; the scheduler then skipped that slot on every loop and
    the schedule stalled.) The window travels in the conf, as for every range run.
    """
    ensure_airflow_db(settings)
    conf = {"start": str(window.start), "end": str(window.end)}
    cmd = [sys.executable, "-m", "folio.platform.orchestration", "test-run", json.dumps(conf)]
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("w") as log:
        proc = subprocess.run(
            cmd, env=airflow_env(settings), stdout=log, stderr=subprocess.STDOUT, cwd=settings.home
        )
    runs = recent_runs(settings, limit=1)
    if not runs:
        raise FolioError(f"airflow created no run (exit {proc.returncode}); see {log_path}")
    run = runs[0]
    if proc.returncode != 0 or run.state != "success":
        raise FolioError(
            f"{DAG_ID} run {run.run_id} ended {run.state} "
            f"(airflow exit {proc.returncode}); log: {log_path}"
        )
    return run


def _test_run(conf: dict[str, Any]) -> int:
    """One in-process run of the DAG with ``conf`` and no logical date (what `run_dag` runs)."""
    from airflow.utils.cli import get_bagged_dag

    dag = get_bagged_dag(bundle_names=None, dag_id=DAG_ID)
    run = dag.test(logical_date=None, run_conf=conf)
    return 0 if run is not None and run.state == "success" else 1


def _as_dt(v: Any) -> dt.datetime | None:
    if v is None or isinstance(v, dt.datetime):
        return v
    return dt.datetime.fromisoformat(str(v))


def recent_runs(settings: Settings, limit: int = 10) -> list[DagRunInfo]:
    """Recent folio_nightly runs from Airflow's metadata DB, newest first."""
    if (
        settings.airflow_db.startswith("sqlite:///")
        and not Path(settings.airflow_db.removeprefix("sqlite:///")).exists()
    ):
        return []
    engine = sa.create_engine(settings.airflow_db)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                sa.text(
                    "select run_id, state, start_date, end_date, conf from dag_run"
                    " where dag_id = :d order by id desc limit :n"
                ),
                {"d": DAG_ID, "n": limit},
            ).all()
    except sa.exc.OperationalError as exc:
        raise FolioError(f"cannot read Airflow's metadata DB: {str(exc).splitlines()[0]}") from None
    finally:
        engine.dispose()
    out = []
    for run_id, state, start, end, conf in rows:
        if isinstance(conf, (str, bytes)):
            try:
                conf = json.loads(conf)
            except ValueError:
                conf = {}
        out.append(DagRunInfo(run_id, state, _as_dt(start), _as_dt(end), conf or {}))
    return out


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] != "test-run":
        raise SystemExit("usage: python -m folio.platform.orchestration test-run '<conf json>'")
    raise SystemExit(_test_run(json.loads(sys.argv[2])))
