"""Chart data latency: every chart of the bundle through Superset, against its SQL on DuckDB.

After `make run` (the default-scale marts published under FOLIO_HOME): provisions Superset
(`folio superset init`, idempotent), starts it on a free loopback port, and for every chart
asks Superset for its data `--reps` times (p50 / p95 per chart, the saved query of the chart
through the REST API, as a dashboard does). The peer is the same SQL (Superset's own
`result_type=query` text) run directly on the served file with a fresh read-only DuckDB
connection per run, as Superset opens one per query. Prints both and their ratio.
Aim: p95 under 500 ms for every chart.

    .venv/bin/python bench/bench_superset.py [--reps 20]
"""

from __future__ import annotations

import argparse
import socket
import statistics
import time

import duckdb

from folio.config import Settings
from folio.superset import service
from folio.superset.client import Client
from folio.warehouse.publish import served_path


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=20)
    args = ap.parse_args()
    settings = Settings()
    served = served_path(settings)
    if not served.exists():
        raise SystemExit(f"no served marts at {served}: run `make run` first")
    service.init(settings)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = service.start(settings, port)
    try:
        password = (service.home(settings) / "admin_password").read_text().strip()
        client = Client(server.url, "admin", password).login()
        rows = []
        for chart in sorted(client.charts(), key=lambda c: c["slice_name"]):
            client.chart_data(chart["id"]).raise_for_status()  # warm: first request compiles
            through = []
            for _ in range(args.reps):
                t0 = time.perf_counter()
                resp = client.chart_data(chart["id"])
                through.append(time.perf_counter() - t0)
                resp.raise_for_status()
            queries = client.get(
                f"/api/v1/chart/{chart['id']}/data/", format="json", type="query"
            ).json()["result"]
            direct = []
            for _ in range(args.reps):
                t0 = time.perf_counter()
                with duckdb.connect(
                    str(served), read_only=True, config={"enable_external_access": False}
                ) as con:
                    for q in queries:
                        con.sql(q["query"]).fetchall()
                direct.append(time.perf_counter() - t0)
            rows.append((chart["slice_name"], through, direct))
    finally:
        service.stop(settings)
    print(f"chart data latency, {args.reps} requests per chart (ms); peer: the same SQL on DuckDB")
    print(f"{'chart':<52} {'p50':>7} {'p95':>7} {'duckdb p50':>11} {'ratio p50':>10}")
    worst = 0.0
    for name, through, direct in rows:
        p50, p95, d50 = (pct(through, 0.5), pct(through, 0.95), pct(direct, 0.5))
        worst = max(worst, p95)
        print(
            f"{name[:52]:<52} {p50 * 1e3:>7.0f} {p95 * 1e3:>7.0f} {d50 * 1e3:>11.1f} {p50 / d50:>9.1f}x"
        )
    all_through = [t for _, through, _ in rows for t in through]
    all_direct = [t for _, _, direct in rows for t in direct]
    print(
        f"all {len(rows)} charts: p50 {pct(all_through, 0.5) * 1e3:.0f} ms, p95"
        f" {pct(all_through, 0.95) * 1e3:.0f} ms (worst chart p95 {worst * 1e3:.0f} ms; aim < 500);"
        f" DuckDB alone p50 {statistics.median(all_direct) * 1e3:.1f} ms"
    )


if __name__ == "__main__":
    main()
