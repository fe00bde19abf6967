"""Row count and an order-independent checksum of every business mart in the served file.

    .venv/bin/python scripts/mart_fingerprints.py [FOLIO_HOME] > before.json
    ... change the code, run the same simulation and `folio run --history` again ...
    .venv/bin/python scripts/mart_fingerprints.py [FOLIO_HOME] | diff before.json -

The ops marts (pipeline runs, data quality, source freshness) record the runs themselves
and differ between any two runs by design, so they are left out; so are the columns that
name the model version by its training time (a model trained in another run has another
id, with the same scores and metrics). The checksum is the md5 of
the sorted md5s of every row cast to text: equal iff the marts hold the same rows.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import duckdb

OPS_MARTS = {"fct_pipeline_runs", "fct_data_quality", "source_freshness"}
RUN_STAMPED = {
    "ml_model_versions": ("model_version", "created_at"),
    "fct_churn_scores": ("model_version",),
    "at_risk_accounts": ("model_version",),
}


def _rows(table: str, stamped: tuple[str, ...] | None) -> str:
    return (
        f"select * exclude ({', '.join(stamped)}) from marts.{table}"
        if stamped
        else (f"select * from marts.{table}")
    )


def fingerprints(served: Path, run_stamps: bool = False) -> dict[str, list]:
    """(rows, checksum) of every business mart; ``run_stamps`` keeps the model-version columns
    (two homes that share their runs, as in the end-to-end tests, have the same ones)."""

    def stamps(table: str) -> tuple[str, ...] | None:
        return None if run_stamps else RUN_STAMPED.get(table)

    with duckdb.connect(str(served), read_only=True) as con:
        tables = [
            t
            for (t,) in con.execute(
                "select table_name from information_schema.tables"
                " where table_schema = 'marts' order by 1"
            ).fetchall()
            if t not in OPS_MARTS
        ]
        return {
            t: list(
                con.execute(
                    "select count(*), md5(coalesce(string_agg(h, '' order by h), ''))"
                    f" from (select md5(cast(x as varchar)) as h from ({_rows(t, stamps(t))}) as x)"
                ).fetchone()
            )
            for t in tables
        }


def main(argv: list[str]) -> int:
    home = Path(argv[0] if argv else os.environ.get("FOLIO_HOME", "data"))
    served = home / "warehouse" / "folio.duckdb"
    if not served.exists():
        print(f"error: {served} does not exist: nothing is published under {home}", file=sys.stderr)
        return 1
    print(json.dumps(fingerprints(served), indent=1, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
