"""The Spark job on a real standalone cluster on 127.0.0.1 gives local mode's output."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys

import duckdb
import pytest
from conftest import REPO
from spark_cluster import spark_cluster

pytestmark = pytest.mark.slow

START, END = dt.date(2026, 4, 1), dt.date(2026, 4, 8)
TABLES = ("clean_events", "app_sessions", "site_sessions", "site_traffic_daily", "late_events")

RUN = """
import datetime as dt, json, sys
from folio.config import get_settings
from folio.events.stage import sessionize_events
from folio.core.window import Window
r = sessionize_events(get_settings(), Window(dt.date.fromisoformat(sys.argv[1]),
                      dt.date.fromisoformat(sys.argv[2])), sys.argv[3])
print(json.dumps(r.details, default=str))
"""


def _run(home, master):
    env = dict(
        os.environ,
        FOLIO_HOME=str(home),
        FOLIO_SPARK_MASTER=master,
        FOLIO_SPARK_DRIVER_MEMORY="1g",
        PYSPARK_PYTHON=sys.executable,
    )
    proc = subprocess.run(
        [sys.executable, "-c", RUN, str(START), str(END), master],
        env=env, cwd=REPO, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout.strip().splitlines()[-1]


def _rows(home, table):
    path = home / "lake" / "events" / table
    if not list(path.glob("*/*.parquet")):
        return []
    return duckdb.sql(
        f"select * from read_parquet('{path}/*/*.parquet', hive_partitioning = true) order by all"
    ).fetchall()


def test_cluster_output_equals_local(tiny_landing, tmp_path):
    landing, _ = tiny_landing
    homes = {}
    for name in ("local", "cluster"):
        homes[name] = tmp_path / name
        homes[name].mkdir()
        (homes[name] / "landing").symlink_to(landing)
    local = _run(homes["local"], "local[2]")
    with spark_cluster() as (url, work):
        cluster = _run(homes["cluster"], url)
        ran = list(work.glob("app-*/*/stderr"))
        assert ran, "no executor ran on the worker"  # the job really ran on the cluster
    assert local == cluster  # the same counts
    for t in TABLES:
        assert _rows(homes["local"], t) == _rows(homes["cluster"], t), t
    assert len(_rows(homes["cluster"], "clean_events")) > 1000
