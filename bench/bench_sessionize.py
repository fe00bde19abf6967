"""The Spark sessionization job against its DuckDB SQL reference on the same days.

Generated Segment page views (DuckDB writes them: fast, deterministic) over four arrival
days, at each scale given (default 1M and 10M events): ~8 page views per visitor, gaps
around the 30-minute edge, 500 sites. Both sides read the same gzip JSON lines and write
Parquet:

- spark: `spark_jobs.sessionize.run` on FOLIO_SPARK_MASTER (default local[*]): parse with
  quarantine, de-duplicate, event time, bots, identities, sessions, daily traffic;
  the session start (JVM) is reported apart;
- duckdb: `folio.events.reference` (the same cleaning and sessionization in SQL), its
  events and sessions copied to Parquet.

Prints seconds, events/s and the time ratio spark/duckdb per scale (the aim: within 3x at
the larger scale), and the peak memory of the Spark driver (a child JVM; bounded by
FOLIO_SPARK_DRIVER_MEMORY) and of this process.
Usage: python bench/bench_sessionize.py [--events 1000000 10000000 ...]
"""

from __future__ import annotations

import argparse
import datetime as dt
import resource
import tempfile
import time
from pathlib import Path

import duckdb

from folio.config import Settings
from folio.events.reference import reference_sessions

DAYS = [dt.date(2026, 6, 1) + dt.timedelta(days=k) for k in range(4)]

GENERATE = """
copy (
    with v as (
        select
            i,
            i // 8 as visitor,
            timestamp '{day}' + to_seconds(((i // 8) * 7919) % 82800)
                + to_seconds((i % 8) * (1500 + ((i // 8) % 5) * 60)) as ts
        from range({n}) r(i)
    )
    select json_object(
        'messageId', 'm{day}-' || i,
        'type', 'page',
        'anonymousId', 'v{day}-' || visitor,
        'userId', null,
        'originalTimestamp', strftime(ts, '%Y-%m-%dT%H:%M:%S.%gZ'),
        'sentAt', strftime(ts + interval 300 millisecond, '%Y-%m-%dT%H:%M:%S.%gZ'),
        'receivedAt', strftime(ts + interval 900 millisecond, '%Y-%m-%dT%H:%M:%S.%gZ'),
        'timestamp', strftime(ts + interval 600 millisecond, '%Y-%m-%dT%H:%M:%S.%gZ'),
        'context', json_object(
            'userAgent', 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5)',
            'page', json_object('path', '/p' || (i % 7), 'referrer',
                                case when i % 8 = 0 then 'https://www.google.com/' else '' end)),
        'properties', json_object('site_id', (visitor % 500)::varchar)
    )
    from v
) to '{path}' (format csv, header false, quote '', escape '', delimiter '\x01',
               compression gzip)
"""


def generate(landing: Path, events: int) -> None:
    con = duckdb.connect()
    for day in DAYS:
        path = landing / "segment" / f"dt={day}" / "portfolio-sites-00000.jsonl.gz"
        path.parent.mkdir(parents=True, exist_ok=True)
        con.execute(GENERATE.format(day=day, n=events // len(DAYS), path=path))


def bench_duckdb(landing: Path, out: Path) -> float:
    t0 = time.perf_counter()
    files = sorted(str(p) for p in landing.glob("segment/dt=*/*.jsonl.gz"))
    ref = reference_sessions(files)
    out.mkdir(parents=True, exist_ok=True)
    for name, rel in ref.items():
        rel.write_parquet(str(out / f"{name}.parquet"), compression="zstd")
    return time.perf_counter() - t0


def bench_spark(home: Path) -> tuple[float, float, dict]:
    from folio.events.spark import session
    from spark_jobs.sessionize import Params, run

    settings = Settings(home=home)
    t0 = time.perf_counter()
    spark = session(settings, "folio-bench")
    started = time.perf_counter() - t0
    t1 = time.perf_counter()
    stats = run(
        spark,
        str(settings.landing),
        str(settings.lake),
        Params(start=DAYS[0], end=DAYS[-1], lookback_days=0),
    )
    return started, time.perf_counter() - t1, stats


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--events", type=int, nargs="+", default=[1_000_000, 10_000_000])
    ap.add_argument(
        "--spark-only",
        action="store_true",
        help="skip the DuckDB reference (the memory check at 50M: the reference would need "
        "more memory than this machine has)",
    )
    args = ap.parse_args()
    # one folder for the whole run: the Spark session (and its local dir) outlives a scale
    with tempfile.TemporaryDirectory() as base:
        for n in args.events:
            scale(Path(base) / str(n), n, reference=not args.spark_only)
        print(f"\npeak memory: Spark driver JVM {_jvm_peak_mb():,.0f} MB (FOLIO_SPARK_DRIVER_MEMORY"
              f" {Settings().spark_driver_memory} heap), this process "
              f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MB")  # fmt: skip


def scale(root: Path, n: int, reference: bool = True) -> None:
    """One scale: generate, then the DuckDB reference (best of 2) and the Spark job."""
    home = root / "home"
    t0 = time.perf_counter()
    generate(home / "landing", n)
    size = sum(p.stat().st_size for p in home.glob("landing/segment/*/*.gz")) / 1e6
    print(f"\n{n:,} events over {len(DAYS)} days ({size:.0f} MB gzip, generated in "
          f"{time.perf_counter() - t0:.1f} s)")  # fmt: skip
    duck = None
    if reference:
        duck = min(bench_duckdb(home / "landing", root / f"duck{i}") for i in range(2))
        print(f"duckdb reference: {duck:7.1f} s  {n / duck:10,.0f} events/s")
    started, job, stats = bench_spark(home)
    sessions = sum(stats["outputs"]["site_sessions"].values())
    print(f"spark job:        {job:7.1f} s  {n / job:10,.0f} events/s "
          f"({sessions:,} site sessions; session start {started:.1f} s apart)")  # fmt: skip
    if duck:
        print(f"ratio spark/duckdb time: {job / duck:.2f} (aim <= 3 at the larger scale)")


def _jvm_peak_mb() -> float:
    """Peak resident memory (VmHWM) of the driver JVM that pyspark started."""
    from pyspark.sql import SparkSession

    spark = SparkSession.getActiveSession()
    if spark is None:
        return 0.0
    pid = spark.sparkContext._gateway.proc.pid
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


if __name__ == "__main__":
    main()
