"""App-DB extract from Postgres against ``COPY ... TO STDOUT`` through psql on the same rows.

A private PostgreSQL server on 127.0.0.1 (as the tests start it) holds Folio's app tables
with N images (default 1,000,000) changed over six days (Monday..Saturday, so the weekly key
comparison does not run). Both sides read the same rows:

- folio: `extract_app_db` for those six days, first load: COPY through psycopg, Arrow
  parses the CSV, contract checks, one zstd Parquet partition per table and day, ledger;
- peer: `psql -c "\\copy (select * from images where ...) to FILE csv"`, the bulk path
  Postgres itself offers (text out, no types, no partitions).

Prints rows/s for each and the ratio folio/psql (the target is >= 0.5).
Usage: python bench/bench_pg_extract.py [--images N]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from pg import _bindir, postgres_server

from folio.config import Settings
from folio.contracts import appdb
from folio.core.window import Window
from folio.ingest.app_db import extract_app_db

START = dt.date(2026, 6, 1)  # a Monday
WINDOW = Window(START, START + dt.timedelta(days=5))


def load(url: str, images: int) -> None:
    engine = sa.create_engine(url)
    appdb.metadata.create_all(engine)
    t0 = f"timestamp '{START} 00:00'"
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "insert into plans values (1, 'pro', 'Pro', 1500, 15000, 1000, now(), now())"
        )
        conn.exec_driver_sql(
            "insert into accounts select g, 'Studio ' || g, 'a' || g || '@example.com', 'DE',"
            " 'organic_search', 'pro', 'month', 'active', 'cus_' || g,"
            f" {t0}, {t0}, {t0} + g * interval '1 second', null from generate_series(1, 5000) g"
        )
        conn.exec_driver_sql(
            "insert into portfolio_sites select g, g, 's' || g, null, 'mono', 'published',"
            f" {t0}, {t0}, {t0} + g * interval '1 second', null"
            " from generate_series(1, 5000) g"
        )
        conn.exec_driver_sql(
            "insert into images select g, 1 + mod(g, 5000), 1 + mod(g, 5000),"
            " 'IMG_' || g || '.jpg', 100000 + mod(g, 9000000), 4000, 3000,"
            f" {t0} + mod(g, 518400) * interval '1 second',"
            f" {t0} + mod(g, 518400) * interval '1 second',"
            f" case when mod(g, 50) = 0 then {t0} + mod(g, 518400) * interval '1 second' end"
            f" from generate_series(1, {images}) g"
        )
        conn.exec_driver_sql("analyze")
    engine.dispose()


def psql_copy(url: str, out: Path) -> float:
    u = sa.engine.make_url(url)
    hi = START + dt.timedelta(days=6)
    cmd = [
        str(_bindir() / "psql"),
        "-h", u.host, "-p", str(u.port), "-U", u.username, "-d", u.database, "-q", "-c",
        f"\\copy (select * from images where updated_at >= '{START}' and updated_at < '{hi}'"
        f" order by id) to '{out}' csv",
    ]  # fmt: skip
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, env=dict(os.environ, PGPASSWORD=u.password))
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--images", type=int, default=1_000_000)
    args = ap.parse_args()
    with postgres_server() as url, tempfile.TemporaryDirectory() as tmp:
        load(url, args.images)
        root = Path(tmp)
        runs: dict[str, list[float]] = {"folio": [], "psql": []}
        psql_copy(url, root / "warm.csv")
        for i in range(3):
            runs["psql"].append(psql_copy(url, root / "images.csv"))
            home = root / f"home{i}"
            t0 = time.perf_counter()
            result = extract_app_db(Settings(home=home, app_db_url=url), WINDOW, "bench")
            runs["folio"].append(time.perf_counter() - t0)
        rows = result.details["rows"]["images"]
        assert rows == args.images, rows
        total = sum(result.details["rows"].values())
        ours, theirs = min(runs["folio"]), min(runs["psql"])
        mb = (root / "images.csv").stat().st_size / 1e6
        print(f"{total:,} app rows ({rows:,} images) changed over {WINDOW}")
        print(f"folio extract_app_db: {ours:6.2f} s  {total / ours:11,.0f} rows/s (all 5 tables)")
        print(
            f"psql \\copy images:    {theirs:6.2f} s  {rows / theirs:11,.0f} rows/s ({mb:.0f} MB)"
        )
        print(
            f"ratio folio/psql throughput: {(total / ours) / (rows / theirs):.2f} (target >= 0.5)"
        )


if __name__ == "__main__":
    main()
