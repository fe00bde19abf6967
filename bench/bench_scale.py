"""The whole nightly pipeline at 1x and at a larger scale (default 10x), stage by stage.

For each scale factor, in a fresh FOLIO_HOME: `folio simulate` with factor x the default
accounts (FOLIO_SIM_ACCOUNTS, 2000) over the default months, then `folio run --history`
(one run over every day: the initial history load, the heaviest run the platform does).
Meanwhile the memory of the whole process tree (the run's Python process, the Spark JVM,
dbt) is sampled every 0.5 s; each sample goes to the stage the run ledger says was running
then. Prints per stage: seconds and peak RSS at each scale, and the ratio to the 1x peer
measured in the same invocation, and which stage grows fastest.

    .venv/bin/python bench/bench_scale.py                    # 1x and 10x (about an hour)
    .venv/bin/python bench/bench_scale.py --factors 1 3      # a quicker look
    .venv/bin/python bench/bench_scale.py --root R --reuse   # a scale already in R is kept

Each home is kept (its path is printed) for `folio status` and the benchmarks that read a
`make run` home; delete them afterwards.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

REPO = Path(__file__).resolve().parent.parent
FOLIO = str(Path(sys.executable).with_name("folio"))
DEFAULT_ACCOUNTS = 2000


class TreeSampler:
    """Peak RSS of a process and all its descendants, sampled with timestamps."""

    def __init__(self, pid: int, every: float = 0.5):
        self.root = psutil.Process(pid)
        self.every = every
        self.samples: list[tuple[float, int]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            total = 0
            try:
                procs = [self.root, *self.root.children(recursive=True)]
            except psutil.NoSuchProcess:
                break
            for p in procs:
                with contextlib.suppress(psutil.Error):
                    total += p.memory_info().rss
            self.samples.append((time.time(), total))
            self._stop.wait(self.every)

    def __enter__(self) -> TreeSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    def peak(self, start: float = 0.0, end: float = float("inf")) -> int:
        return max((rss for t, rss in self.samples if start <= t <= end), default=0)


def timed(cmd: list[str], env: dict[str, str], log: Path) -> tuple[float, TreeSampler, int]:
    t0 = time.perf_counter()
    with log.open("w") as out:
        proc = subprocess.Popen(cmd, env=env, cwd=REPO, stdout=out, stderr=subprocess.STDOUT)
        with TreeSampler(proc.pid) as sampler:
            rc = proc.wait()
    return time.perf_counter() - t0, sampler, rc


def _epoch(iso: str | None) -> float:
    """Seconds since the epoch of a ledger timestamp (ISO 8601, UTC)."""
    if not iso:
        return float("inf")  # still running
    t = dt.datetime.fromisoformat(iso)
    return (t if t.tzinfo else t.replace(tzinfo=dt.UTC)).timestamp()


def stages(home: Path, sampler: TreeSampler) -> dict[str, dict]:
    """Per task of the history run: seconds, rows and peak RSS (from the samples in it)."""
    with sqlite3.connect(home / "ops" / "ledger.sqlite") as con:
        rows = con.execute(
            "select task_id, started_at, finished_at, seconds, rows, state from task_runs"
            " order by started_at"
        ).fetchall()
    out = {}
    for task, started, finished, seconds, nrows, state in rows:
        out[task] = {
            "seconds": seconds or 0.0,
            "rows": nrows or 0,
            "state": state,
            "peak_rss": sampler.peak(_epoch(started), _epoch(finished) + 1.0),
        }
    return out


def size(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) if path.exists() else 0


def one_scale(factor: float, root: Path, reuse: bool = False) -> dict:
    home = root / f"scale-{factor:g}x"
    if reuse and (home / "bench_scale.json").exists():
        return json.loads((home / "bench_scale.json").read_text())
    env = {
        **os.environ,
        "FOLIO_HOME": str(home),
        "FOLIO_RETRY_DELAY_SECONDS": "5",
        "AIRFLOW__CORE__PARALLELISM": "2",
    }
    home.mkdir(parents=True, exist_ok=True)
    accounts = int(DEFAULT_ACCOUNTS * factor)
    sim_s, sim_mem, rc = timed(
        [FOLIO, "simulate", "--accounts", str(accounts)], env, home / "simulate.log"
    )
    if rc != 0:
        sys.exit(f"simulate failed at {factor}x; see {home / 'simulate.log'}")
    run_s, run_mem, rc = timed([FOLIO, "run", "--history"], env, home / "run.log")
    if rc != 0:
        sys.exit(f"folio run failed at {factor}x; see {home / 'run.log'}")
    result = {
        "factor": factor,
        "home": str(home),
        "accounts": accounts,
        "simulate": {"seconds": sim_s, "peak_rss": sim_mem.peak()},
        "run": {"seconds": run_s, "peak_rss": run_mem.peak()},
        "stages": stages(home, run_mem),
        "landing_bytes": size(home / "landing"),
        "lake_bytes": size(home / "lake"),
        "warehouse_bytes": size(home / "warehouse" / "folio.duckdb"),
    }
    (home / "bench_scale.json").write_text(json.dumps(result, indent=2))
    return result


def gib(n: int) -> str:
    return f"{n / 2**30:5.2f}"


def report(results: list[dict]) -> None:
    base, *others = results
    for big in others:
        f = big["factor"] / base["factor"]
        print(f"\n{base['factor']:g}x ({base['accounts']} accounts) vs {big['factor']:g}x "
              f"({big['accounts']} accounts): {f:g}x the input")  # fmt: skip
        head = f"{'stage':18} {'s ' + str(base['factor']) + 'x':>9} {'s big':>9} {'ratio':>6}"
        print(f"{head} {'GiB 1x':>7} {'GiB big':>7} {'rows big':>11}")
        growth = []
        for name in ("simulate", "run"):
            a, b = base[name], big[name]
            ratio = b["seconds"] / a["seconds"]
            print(f"{name:18} {a['seconds']:9.1f} {b['seconds']:9.1f} {ratio:6.1f}"
                  f" {gib(a['peak_rss']):>7} {gib(b['peak_rss']):>7}")  # fmt: skip
        print("  stages of the run:")
        for task, b in big["stages"].items():
            a = base["stages"].get(task, {"seconds": 0.0, "peak_rss": 0})
            ratio = b["seconds"] / a["seconds"] if a["seconds"] else float("nan")
            growth.append((ratio, task))
            print(f"  {task:16} {a['seconds']:9.1f} {b['seconds']:9.1f} {ratio:6.1f}"
                  f" {gib(a['peak_rss']):>7} {gib(b['peak_rss']):>7} {b['rows']:>11,}")  # fmt: skip
        for what in ("landing_bytes", "lake_bytes", "warehouse_bytes"):
            ratio = big[what] / base[what] if base[what] else float("nan")
            print(f"{what:18} {base[what] / 2**20:8.1f} MiB -> {big[what] / 2**20:8.1f} MiB"
                  f"  ({ratio:.1f}x)")  # fmt: skip
        timed_stages = [g for g in growth if big["stages"][g[1]]["seconds"] >= 1.0]
        fastest = max(timed_stages) if timed_stages else max(growth)
        heaviest = max(big["stages"].items(), key=lambda kv: kv[1]["seconds"])
        print(
            f"fastest-growing stage: {fastest[1]} ({fastest[0]:.1f}x for {f:g}x input);"
            f" longest at {big['factor']:g}x: {heaviest[0]} ({heaviest[1]['seconds']:.0f} s)"
        )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--factors", type=float, nargs="+", default=[1.0, 10.0])
    ap.add_argument("--root", type=Path, default=None, help="where the homes go (a temp dir)")
    ap.add_argument(
        "--reuse", action="store_true", help="take a scale's result from an earlier run in --root"
    )
    args = ap.parse_args()
    root = args.root or Path(tempfile.mkdtemp(prefix="folio-scale-"))
    results = []
    for factor in args.factors:
        print(f"scale {factor:g}x -> {root / f'scale-{factor:g}x'}", flush=True)
        results.append(one_scale(factor, root, args.reuse))
        r = results[-1]
        print(f"  simulate {r['simulate']['seconds']:.0f} s, run {r['run']['seconds']:.0f} s,"
              f" peak {gib(r['run']['peak_rss'])} GiB", flush=True)  # fmt: skip
    report(results)


if __name__ == "__main__":
    main()
