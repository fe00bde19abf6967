"""The dbt stage inside Airflow against a plain `dbt build`, on the same warehouse.

Needs a loaded FOLIO_HOME (`make run` first). For the window ending on the last day the
lake holds, it times (best of --repeat):

- plain: `dbt build` in a fresh process, with the same vars (what an engineer would run);
- airflow: `airflow tasks test folio_nightly build_marts <date>` on the DAG run of that
  date: the task as Airflow runs it (the wrapper and its ledger rows, dbt build in-process
  with every node logged and recorded, the mart row counts). Its duration is the task
  instance's, from Airflow's metadata DB (what the Airflow UI shows); the CLI's own start
  (importing Airflow, parsing the DAG), which a scheduler's worker does not repeat per
  task, is printed apart.

The plain build gets the same window as the task (read back from the run ledger).
Prints the times and the overhead (task / plain - 1; the aim: under 30%).
Usage: python bench/bench_dbt_stage.py [--repeat 2]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import subprocess
import sys
import time
from pathlib import Path

from folio.config import Settings
from folio.core import lake, ledger
from folio.core.window import Window
from folio.platform.orchestration import DAG_ID, airflow_env, ensure_airflow_db, logical_date_for
from folio.warehouse.transform import _vars, dbt_env

BIN = Path(sys.executable).parent


def timed(cmd: list[str], env: dict[str, str]) -> float:
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - t0
    if proc.returncode != 0:
        sys.exit(f"{' '.join(cmd[:4])} failed:\n{(proc.stdout + proc.stderr)[-3000:]}")
    return seconds


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=2)
    args = ap.parse_args()
    settings = Settings()
    files = lake.partitions(settings.lake / "raw" / "stripe" / "subscription")
    days = [lake.partition_day(f.parent) for f in files]
    if not days:
        sys.exit(f"no lake under {settings.home}: run `make run` first")
    ensure_airflow_db(settings)
    date = logical_date_for(Window(max(days), max(days))).isoformat()
    airflow_cmd = [str(BIN / "airflow"), "tasks", "test", DAG_ID, "build_marts", date]
    cli, task = [], []
    for _ in range(args.repeat):
        cli.append(timed(airflow_cmd, airflow_env(settings)))
        task.append(_task_seconds(settings))
    last = [r for r in ledger.task_rows(settings.ledger_path) if r["task_id"] == "build_marts"][-1]
    window = Window(
        dt.date.fromisoformat(last["window_start"]), dt.date.fromisoformat(last["window_end"])
    )
    with dbt_env(settings):
        plain_env = dict(os.environ)
    plain_cmd = [str(BIN / "dbt"), "build", "--vars", _vars(settings, window)]
    plain = min(timed(plain_cmd, plain_env) for _ in range(args.repeat))
    inside = min(task)
    print(f"window {window} on {settings.home}")
    print(f"plain dbt build (fresh process):       {plain:6.1f} s")
    print(f"build_marts task inside Airflow:       {inside:6.1f} s")
    print(f"  (airflow tasks test CLI wall time:   {min(cli):6.1f} s, its start included)")
    print(f"overhead: {inside / plain - 1:+.0%} (aim: under +30%)")


def _task_seconds(settings: Settings) -> float:
    """Duration of the latest build_marts task instance, from Airflow's metadata DB."""
    import sqlalchemy as sa

    engine = sa.create_engine(settings.airflow_db)
    with engine.connect() as conn:
        start, end = conn.execute(
            sa.text(
                "select start_date, end_date from task_instance where dag_id = :d"
                " and task_id = 'build_marts' order by end_date desc limit 1"
            ),
            {"d": DAG_ID},
        ).one()
    engine.dispose()
    as_dt = [
        x if isinstance(x, dt.datetime) else dt.datetime.fromisoformat(str(x)) for x in (start, end)
    ]
    return (as_dt[1] - as_dt[0]).total_seconds()


if __name__ == "__main__":
    main()
