"""The incremental event marts: one nightly build against a full rebuild of the same year.

Needs a loaded FOLIO_HOME with a year of history (`make run` first). On the same warehouse:

- full: `dbt run --full-refresh` of the incremental event marts (fct_app_sessions,
  fct_site_traffic_daily, fct_daily_active_accounts, fct_feature_adoption) over every day in the lake;
- nightly: `dbt run` of the same models for the last day (its event window: the day and
  the lookback days before it, deleted and re-inserted), through the project's shortcut
  (dbt_project/macros/materializations/incremental.sql);
- nightly, adapter's path: the same run with FOLIO_DBT_APPEND_SHORTCUT=false, dbt-duckdb's
  own incremental materialization (the peer the shortcut is measured against).

Each repeat runs the full rebuild, then both nightly paths, taking turns at going first.
Times are dbt's own per-model execution times (best of --repeat), without dbt's start and
parse, which all pay alike. Prints them, the ratio nightly / full (the aim: under 20%) for
both paths, and the wall time of the models in the same runs (the profile's two threads
overlap them).
Usage: python bench/bench_dbt_incremental.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import sys

from folio.config import Settings
from folio.core import lake
from folio.core.window import Window
from folio.warehouse.transform import run_dbt

MODELS = [
    "fct_app_sessions",
    "fct_site_traffic_daily",
    "fct_daily_active_accounts",
    "fct_feature_adoption",
]


def seconds(
    settings: Settings, window: Window, *flags: str
) -> tuple[float, dict[str, float], float]:
    """Summed model seconds, seconds per model, and the wall time from the first model's
    start to the last one's end (the profile's threads run models side by side)."""
    res = run_dbt(settings, ["run", "-s", *MODELS, *flags], window)
    if not res.success:
        sys.exit(f"dbt run failed: {res.exception}")
    runs = [r for r in res.result.results if r.node.name in MODELS]
    per_model = {r.node.name: r.execution_time for r in runs}
    wall = max(t.completed_at for r in runs for t in r.timing) - min(
        t.started_at for r in runs for t in r.timing
    )
    return sum(per_model.values()), per_model, wall.total_seconds()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    settings = Settings()
    # the nightly paths: the project's shortcut and dbt-duckdb's own materialization
    paths = {
        "nightly": settings,
        "adapter": settings.model_copy(update={"dbt_append_shortcut": False}),
    }
    days = [lake.partition_day(p) for p in (settings.lake / "events" / "app_sessions").glob("dt=*")]
    if not days or not settings.build_db.exists():
        sys.exit(f"no events or no warehouse under {settings.home}: run `make run` first")
    year, night = Window(min(days), max(days)), Window(max(days), max(days))
    runs: dict[str, list[tuple[float, dict[str, float], float]]] = {
        "full": [],
        "nightly": [],
        "adapter": [],
    }
    for k in range(args.repeat):
        runs["full"].append(seconds(settings, year, "--full-refresh"))
        # the two nightly paths take turns going first after the rebuild
        for path in ("nightly", "adapter") if k % 2 == 0 else ("adapter", "nightly"):
            runs[path].append(seconds(paths[path], night))
    full, nightly, peer = (min(runs[k], key=lambda x: x[0]) for k in ("full", "nightly", "adapter"))
    print(f"history {year} ({len(days)} days) on {settings.home}, best of {args.repeat}")
    print(f"  {'model':28s} {'full':>8s} {'nightly':>8s} {'adapter':>8s}")
    for name in MODELS:
        print(
            f"  {name:28s} {full[1][name]:6.2f} s {nightly[1][name]:6.2f} s {peer[1][name]:6.2f} s"
        )
    print(
        f"full rebuild: {full[0]:6.2f} s   nightly incremental: {nightly[0]:6.2f} s"
        f"   (adapter's path: {peer[0]:6.2f} s)"
    )
    print(
        f"ratio nightly / full: {nightly[0] / full[0]:.0%} (aim: under 20%)"
        f"   adapter's path: {peer[0] / full[0]:.0%}   shortcut / adapter: {nightly[0] / peer[0]:.0%}"
    )
    print(
        f"wall time of the models (same runs): full {full[2]:6.2f} s   nightly {nightly[2]:6.2f} s"
        f"   ratio {nightly[2] / full[2]:.0%}   adapter's path {peer[2]:6.2f} s"
    )


if __name__ == "__main__":
    main()
