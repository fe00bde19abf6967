"""Stripe loader throughput against DuckDB's own ``read_json`` -> Parquet on the same files.

The files: the simulator's Stripe exports (every object type, with its defects), each day's
file replicated K times with rewritten ids, so a day holds thousands of objects as a real
export does. Both sides read the same gzip JSON-lines files and write zstd Parquet:

- folio: `load_stripe` over the window: typed columns, child tables, raw JSON kept, every
  line accounted for (quarantine, ledger), one atomic, fsynced partition per table and day;
- peer: DuckDB, per object type `COPY (select * from read_json(files, ignore_errors)) TO
  parquet` (schema inference, no per-line accounting: it drops bad lines silently).

Prints objects/s for each and the ratio folio/peer (the target is >= 0.5), at two volumes:
~220 and ~1,100 objects a day (fixed costs per partition file weigh more on small days).
Usage: python bench/bench_stripe_loader.py [--accounts N] [--copies K ...]
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import re
import shutil
import tempfile
import time
from pathlib import Path

import duckdb

from folio.config import Settings
from folio.contracts.json_schemas import STRIPE_OBJECTS
from folio.core.window import Window
from folio.ingest.stripe.load import load_stripe
from folio.simulator.engine import SimParams, simulate

ID = re.compile(rb'"((?:cus|prod|price|sub|si|in|il|ch|re|pi|di|inpay)_[0-9A-Za-z]+)"')


def build(root: Path, accounts: int, copies: int) -> tuple[Path, Window, int]:
    end = dt.date(2026, 6, 30)
    p = SimParams(start=end - dt.timedelta(days=179), end=end, accounts=accounts, seed=3)
    src = root / "sim"
    simulate(p, src, f"sqlite:///{src / 'app.db'}")
    landing = root / "home" / "landing"
    n = 0
    for f in sorted(src.glob("stripe/*/dt=*/*.jsonl.gz")):
        lines = gzip.decompress(f.read_bytes()).splitlines(keepends=True)
        out = landing / f.relative_to(src)
        out.parent.mkdir(parents=True, exist_ok=True)
        body = b"".join(
            ID.sub(lambda m, k=k: b'"' + m.group(1) + b"x%d" % k + b'"', line)
            for k in range(copies)
            for line in lines
        )
        out.write_bytes(gzip.compress(body, compresslevel=3))
        n += len(lines) * copies
    shutil.copytree(src / "stripe" / "_delivered", landing / "stripe" / "_delivered")
    return root / "home", Window(p.start, p.end), n


def peer(landing: Path, out: Path) -> float:
    con = duckdb.connect()
    t0 = time.perf_counter()
    for obj in STRIPE_OBJECTS:
        files = sorted(str(f) for f in landing.glob(f"stripe/{obj}/dt=*/*.jsonl.gz"))
        if not files:
            continue
        con.execute(
            f"copy (select * from read_json({files!r}, format = 'newline_delimited',"
            f" ignore_errors = true, union_by_name = true)) to '{out / obj}.parquet'"
            " (format parquet, compression zstd)"
        )
    return time.perf_counter() - t0


def compare(accounts: int, copies: int) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        home, window, n = build(root, accounts, copies)
        size = sum(f.stat().st_size for f in home.glob("landing/stripe/*/dt=*/*.gz"))
        print(
            f"\n{n:,} Stripe objects over {window.n_days} days ({n // window.n_days:,} a day),"
            f" {size / 1e6:.1f} MB gzip"
        )
        (root / "peer").mkdir()
        # warm the page cache for both, then alternate: peer, folio, peer, folio, ...
        peer(home / "landing", root / "peer")
        runs: dict[str, list[float]] = {"folio": [], "duckdb": []}
        for i in range(3):
            runs["duckdb"].append(peer(home / "landing", root / "peer"))
            t0 = time.perf_counter()
            result = load_stripe(Settings(home=home), window, f"bench-{i}")
            runs["folio"].append(time.perf_counter() - t0)
        ours, theirs = min(runs["folio"]), min(runs["duckdb"])
        q = sum(result.details["quarantined"].values())
        print(
            f"folio load_stripe: {ours:6.2f} s  {n / ours:9,.0f} objects/s "
            f"({result.rows:,} rows, {q} quarantined, a partition per table and day)"
        )
        print(f"duckdb read_json:  {theirs:6.2f} s  {n / theirs:9,.0f} objects/s")
        print(f"ratio folio/duckdb throughput: {theirs / ours:.2f} (target >= 0.5)")
        return theirs / ours


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--accounts", type=int, default=400)
    ap.add_argument(
        "--copies",
        type=int,
        nargs="+",
        default=[20, 100],
        help="replications of each day's file (more objects per day and partition)",
    )
    args = ap.parse_args()
    for k in args.copies:
        compare(args.accounts, k)


if __name__ == "__main__":
    main()
