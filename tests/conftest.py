from __future__ import annotations

import datetime as dt
import gzip
import json
import os
from pathlib import Path

import duckdb
import pytest

from folio.simulator.engine import SimParams, simulate

REPO = Path(__file__).resolve().parent.parent
# the marts that record runs (they differ between runs by design)
OPS_MARTS = {"fct_pipeline_runs", "fct_data_quality", "source_freshness"}
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
def spark(tmp_path_factory):
    """One local Spark session for the whole test run (JVM start ~8 s)."""
    from folio.config import Settings
    from folio.events.spark import session

    home = tmp_path_factory.mktemp("spark-home")
    s = session(Settings(home=home, spark_master="local[2]", spark_driver_memory="1g"))
    s.conf.set("spark.sql.shuffle.partitions", "4")
    yield s
    s.stop()


def fingerprint(home: Path) -> dict[str, tuple[int, str]]:
    """(rows, checksum) of every mart in the served file, the run-recording ops marts aside."""
    with duckdb.connect(str(home / "warehouse" / "folio.duckdb"), read_only=True) as con:
        tables = [
            t
            for (t,) in con.execute(
                "select table_name from information_schema.tables"
                " where table_schema = 'marts' order by 1"
            ).fetchall()
            if t not in OPS_MARTS
        ]
        out = {}
        for t in tables:
            out[t] = con.execute(
                f"select count(*), md5(coalesce(string_agg(h, '' order by h), ''))"
                f" from (select md5(cast(x as varchar)) as h from marts.{t} as x)"
            ).fetchall()[0]
    return out
