"""Publish against the build it publishes, at the default scale (what `make run` built).

Peer in the same run: the build stage (`build_marts`, one `dbt build` of the last day,
incremental as at night) and then `publish` of its marts, timed on a copy of the
warehouse (the lake is shared read-only), so the served file of FOLIO_HOME is untouched.
Prints both times and publish's share of the build; the aim is under 5%.

    .venv/bin/python bench/bench_publish.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from folio.config import Settings, get_settings
from folio.core.window import Window
from folio.warehouse import publish
from folio.warehouse.transform import build_marts


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    src = get_settings()
    served = publish.current(src)
    if served is None or not src.build_db.exists():
        raise SystemExit(f"no published warehouse under {src.home}: run `make run` first")
    day = served.interval_end
    with tempfile.TemporaryDirectory(prefix="bench-publish-") as tmp:
        home = Path(tmp)
        for d in ("lake", "landing"):
            (home / d).symlink_to(src.home / d)
        (home / "warehouse").mkdir()
        shutil.copy2(src.build_db, home / "warehouse" / "build.duckdb")
        settings = Settings(home=home)
        window = Window(day, day)
        builds, pubs = [], []
        for i in range(args.repeat):
            t0 = time.perf_counter()
            result = build_marts(settings, window, f"bench-build-{i}")
            builds.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            pub = publish.publish(settings, f"bench-{i}", window)
            pubs.append(time.perf_counter() - t0)
        size = (home / "warehouse" / "snapshots" / pub.path.name).stat().st_size
    b, p = statistics.median(builds), statistics.median(pubs)
    print(
        f"default scale: {result.rows:,} mart rows in {len(pub.row_counts)} tables, snapshot {size / 1e6:.1f} MB"
    )
    print(
        f"build_marts (dbt build, nightly window {day}): median {b:.2f} s  {[round(x, 2) for x in builds]}"
    )
    print(
        f"publish (snapshot, verify, swap):              median {p:.2f} s  {[round(x, 2) for x in pubs]}"
    )
    print(f"publish / build = {p / b:.1%}  (aim: under 5%)")


if __name__ == "__main__":
    main()
