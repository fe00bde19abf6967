"""Simulator throughput and memory, against peers in the same run.

1. Throughput: events generated per second by `folio.sources.simulate`, against a peer that
   only serialises and gzips the same number of Segment-shaped messages (the I/O floor).
   The ratio says how much the simulation logic costs on top of writing the files.
2. Bounded memory: peak RSS at 1x and 4x visitor traffic (the heavy volume). Events grow
   ~4x; peak memory should not (it is bounded by accounts and one day of events).

Each configuration runs in its own process so peak RSS is its own. Prints ratios.
Usage: python bench/bench_simulator.py [--accounts N] [--days D]
"""

from __future__ import annotations

import argparse
import gzip
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CHILD = r"""
import datetime as dt, json, resource, sys, time
from pathlib import Path
from folio.simulator.engine import SimParams, simulate
accounts, days, traffic, out = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), Path(sys.argv[4])
end = dt.date(2026, 6, 30)
p = SimParams(start=end - dt.timedelta(days=days - 1), end=end, accounts=accounts, traffic=traffic)
s = simulate(p, out, f"sqlite:///{out / 'app.db'}")
print(json.dumps({"events": s.segment_messages, "seconds": s.seconds,
                  "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def run_sim(accounts: int, days: int, traffic: float) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        out = subprocess.run(
            [sys.executable, "-c", CHILD, str(accounts), str(days), str(traffic), tmp],
            capture_output=True,
            text=True,
            check=True,
        )
    return json.loads(out.stdout.strip().splitlines()[-1])


def serialise_floor(n: int) -> float:
    """Seconds to build, encode and gzip n Segment-shaped messages with no simulation."""
    import msgspec

    enc = msgspec.json.Encoder().encode
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp, gzip.open(Path(tmp) / "x.jsonl.gz", "wb", 3) as fh:
        for i in range(n):
            msg = {
                "anonymousId": f"{i:032x}",
                "userId": None,
                "messageId": f"{i:032x}",
                "type": "page",
                "originalTimestamp": "2026-06-01T10:00:00.000Z",
                "sentAt": "2026-06-01T10:00:00.500Z",
                "receivedAt": "2026-06-01T10:00:00.700Z",
                "timestamp": "2026-06-01T10:00:00.200Z",
                "context": {
                    "ip": "10.0.0.1",
                    "userAgent": "Mozilla/5.0",
                    "locale": "en-US",
                    "library": {"name": "folio-sites.js", "version": "1.4.2"},
                    "page": {
                        "path": "/gallery",
                        "referrer": "",
                        "search": "",
                        "title": "Gallery",
                        "url": "https://x.folio.site/gallery",
                    },
                },
                "integrations": {},
                "channel": "client",
                "version": 2,
                "name": "Gallery",
                "properties": {"path": "/gallery", "site_id": "12"},
            }
            fh.write(enc(msg) + b"\n")
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--accounts", type=int, default=400)
    ap.add_argument("--days", type=int, default=120)
    args = ap.parse_args()
    base = run_sim(args.accounts, args.days, 1.0)
    floor = serialise_floor(base["events"])
    big = run_sim(args.accounts, args.days, 4.0)
    sim_rate = base["events"] / base["seconds"]
    floor_rate = base["events"] / floor
    print(
        f"simulator: {base['events']:,} events in {base['seconds']:.1f} s = {sim_rate:,.0f} events/s"
    )
    print(f"peer (serialise + gzip only): {floor_rate:,.0f} events/s")
    print(f"ratio simulator / serialisation floor: {sim_rate / floor_rate:.2f}")
    print(
        f"memory: 1x traffic {base['events']:,} events peak {base['rss_mb']:.0f} MB; "
        f"4x traffic {big['events']:,} events peak {big['rss_mb']:.0f} MB"
    )
    print(
        f"ratio events 4x/1x: {big['events'] / base['events']:.2f}; "
        f"ratio peak memory 4x/1x: {big['rss_mb'] / base['rss_mb']:.2f}"
    )


if __name__ == "__main__":
    main()
