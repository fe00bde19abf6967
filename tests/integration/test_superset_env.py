"""The separate Superset venv is usable and reads DuckDB files the pipeline venv writes."""

from __future__ import annotations

import subprocess

import duckdb
from conftest import REPO

SUPERSET_PY = REPO / ".venv-superset" / "bin" / "python"

PROBE = """
import sys
import duckdb, sqlalchemy, superset
from sqlalchemy import create_engine, text
engine = create_engine("duckdb:///" + sys.argv[1], connect_args={"read_only": True,
                       "config": {"enable_external_access": False}})
with engine.connect() as conn:
    total = conn.execute(text("select sum(mrr) from marts.t")).scalar()
print(duckdb.__version__, sqlalchemy.__version__, total)
"""


def test_superset_venv_reads_a_pipeline_duckdb_file(tmp_path):
    path = tmp_path / "served.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute(
            "create schema marts; create table marts.t as select 12.5 as mrr union all select 7.5"
        )
    proc = subprocess.run(
        [str(SUPERSET_PY), "-c", PROBE, str(path)], capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    version, sqla, total = proc.stdout.split()
    assert version == duckdb.__version__  # same pin in both venvs (file format)
    assert sqla.startswith("1.4.")  # Superset's SQLAlchemy, not the pipeline's
    assert float(total) == 20.0
