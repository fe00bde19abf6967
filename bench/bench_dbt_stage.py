"""The dbt stage inside Airflow against a plain `dbt build`, on the same warehouse.

Needs a loaded FOLIO_HOME (`make run` first). For the window ending on the last day the
lake holds, it times (best of --repeat):

- plain: `dbt build` in a fresh process, with the same vars (what an engineer would run);
- airflow: `airflow tasks test folio_nightly build_marts <date>`: a fresh process that
  parses the DAG, runs the task's wrapper (ledger rows), dbt build in-process with every
  node logged and recorded, the mart row counts, and dbt docs generate; source freshness
  too when the window ends yesterday or later (a nightly run).

Prints both times and the overhead (airflow / plain - 1; the aim: under 30%).
Usage: python bench/bench_dbt_stage.py [--repeat 2]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

from folio.config import Settings
from folio.ingest import lake
from folio.orchestration import DAG_ID, airflow_env, ensure_airflow_db, logical_date_for
from folio.pipeline.window import Window
from folio.transform import _vars, dbt_env

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
    window = Window(max(days), max(days))
    with dbt_env(settings):
        plain_env = dict(os.environ)
    plain_cmd = [str(BIN / "dbt"), "build", "--vars", _vars(settings, window)]
    ensure_airflow_db(settings)
    date = logical_date_for(window).isoformat()
    airflow_cmd = [str(BIN / "airflow"), "tasks", "test", DAG_ID, "build_marts", date]
    plain = min(timed(plain_cmd, plain_env) for _ in range(args.repeat))
    inside = min(timed(airflow_cmd, airflow_env(settings)) for _ in range(args.repeat))
    print(f"window {window} on {settings.home}")
    print(f"plain dbt build:               {plain:6.1f} s")
    print(f"build_marts inside Airflow:    {inside:6.1f} s")
    print(f"overhead: {inside / plain - 1:+.0%} (aim: under +30%)")


if __name__ == "__main__":
    main()
