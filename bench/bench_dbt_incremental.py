"""The incremental event marts: one nightly build against a full rebuild of the same history.

Needs a loaded FOLIO_HOME with a history (`make run` first). On the same warehouse:

- full: `dbt run --full-refresh` of the incremental event marts (fct_app_sessions,
  fct_site_traffic_daily, fct_daily_active_accounts, fct_feature_adoption) over every day in
  the lake;
- nightly: `dbt run` of the same models for the last day: dbt-duckdb's own incremental
  materialization, `append` after the pre-hook that deletes the event window (the day and
  the lookback days before it).

Each repeat runs the full rebuild, then the nightly build. Times are dbt's own per-model
execution times (best of --repeat), without dbt's start and parse, which both pay alike.
Prints them, the ratio nightly / full (the aim: under 20%), and the wall time of the models
in the same runs (the profile's two threads overlap them).
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
        sys.exit(f"error: dbt run failed: {res.exception}")
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
    days = [lake.partition_day(p) for p in (settings.lake / "events" / "app_sessions").glob("dt=*")]
    if not days or not settings.build_db.exists():
        sys.exit(f"error: no events or no warehouse under {settings.home}: run `make run` first")
    history, night = Window(min(days), max(days)), Window(max(days), max(days))
    runs: dict[str, list[tuple[float, dict[str, float], float]]] = {"full": [], "nightly": []}
    for _ in range(args.repeat):
        runs["full"].append(seconds(settings, history, "--full-refresh"))
        runs["nightly"].append(seconds(settings, night))
    full, nightly = (min(runs[k], key=lambda x: x[0]) for k in ("full", "nightly"))
    print(f"history {history} ({len(days)} days) on {settings.home}, best of {args.repeat}")
    print(f"  {'model':28s} {'full':>8s} {'nightly':>8s}")
    for name in MODELS:
        print(f"  {name:28s} {full[1][name]:6.2f} s {nightly[1][name]:6.2f} s")
    print(f"full rebuild: {full[0]:6.2f} s   nightly incremental: {nightly[0]:6.2f} s")
    print(f"ratio nightly / full: {nightly[0] / full[0]:.0%} (aim: under 20%)")
    print(
        f"wall time of the models (same runs): full {full[2]:6.2f} s   nightly {nightly[2]:6.2f} s"
        f"   ratio {nightly[2] / full[2]:.0%}"
    )


if __name__ == "__main__":
    main()
