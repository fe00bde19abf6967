"""Churn scoring throughput: end to end and model-only, on the CPU and on a GPU when present.

End to end = what `score_churn` does per row: read the features from a DuckDB file through
Arrow -> encode with the model's feature spec -> tensors -> predict and attribute (top-3
reasons) in batches -> write the scores as Parquet. Model-only = forward passes on inputs
already on the device. The peer is the CPU in the same run; with a CUDA GPU the script
also measures host-to-device bandwidth and prints GPU/CPU ratios (aim: end to end >= 10x
on 10M rows) and where the time goes (stage shares).

    .venv/bin/python bench/bench_scoring.py [--rows 1000000 10000000] [--cpu-max 1000000]

The model is an untrained MLP of the production shape (throughput does not depend on the
weights). One short run on a GPU machine: a few minutes at 1M + 10M rows.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from folio.ml import features as F
from folio.ml.model import attributions, build_mlp, predict


def make_features(n: int, seed: int = 1) -> pa.Table:
    rng = np.random.default_rng(seed)
    cols: dict[str, object] = {
        "account_id": np.arange(n, dtype=np.int64),
        "as_of_date": pa.array(np.full(n, np.datetime64("2026-11-27"), dtype="datetime64[D]")),
    }
    for name in F.NUMERIC:
        cols[name] = rng.poisson(5, n).astype(np.int64)
    cols["mrr"] = rng.choice([12.0, 24.0, 40.0], n)
    cols["mrr_change_28d"] = rng.choice([0.0, 12.0, -12.0], n)
    cols["is_past_due"] = rng.random(n) < 0.1
    cols["is_cancel_scheduled"] = rng.random(n) < 0.05
    cols["billing_interval"] = pa.array(rng.choice(["month", "year"], n))
    cols["acquisition_channel"] = pa.array(rng.choice(["organic_search", "social", "referral"], n))
    cols["country"] = pa.array(rng.choice(["US", "DE", "FR", "GB", "IT"], n))
    return pa.table(cols)


def score_end_to_end(db: Path, spec: F.FeatureSpec, model, dev: str, out: Path) -> dict:
    import duckdb

    t = {}
    t0 = time.perf_counter()
    with duckdb.connect(str(db), read_only=True) as con:
        table = con.sql("select * from features").to_arrow_table()
    t["read"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    xn, xc = spec.encode(table)
    t["encode"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    score = predict(model, xn, xc, dev, batch=262144)
    t["predict"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    attr = attributions(model, xn, xc, dev, batch=262144)
    top = np.argsort(-attr, axis=1, kind="stable")[:, :3]
    t["attribute"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    names = np.asarray(spec.names)
    pq.write_table(
        pa.table(
            {
                "account_id": table.column("account_id"),
                "score": score,
                "reason_1": names[top[:, 0]],
                "reason_2": names[top[:, 1]],
                "reason_3": names[top[:, 2]],
            }
        ),
        out,
    )
    t["write"] = time.perf_counter() - t0
    return t


def model_only(model, xn: np.ndarray, xc: np.ndarray, dev: str, reps: int = 3) -> float:
    import torch

    model = model.to(dev).eval()
    tn, tc = torch.from_numpy(xn).to(dev), torch.from_numpy(xc).to(dev)
    best = float("inf")
    with torch.no_grad():
        for _ in range(reps):
            if dev == "cuda":
                torch.cuda.synchronize()
            t0 = time.perf_counter()
            for s in range(0, len(xn), 262144):
                model(tn[s : s + 262144], tc[s : s + 262144])
            if dev == "cuda":
                torch.cuda.synchronize()
            best = min(best, time.perf_counter() - t0)
    return best


def h2d_bandwidth(nbytes: int = 1 << 30) -> float:
    import torch

    host = torch.empty(nbytes, dtype=torch.uint8).pin_memory()
    dev = torch.empty(nbytes, dtype=torch.uint8, device="cuda")
    dev.copy_(host, non_blocking=True)
    torch.cuda.synchronize()
    t0 = time.perf_counter()
    for _ in range(5):
        dev.copy_(host, non_blocking=True)
    torch.cuda.synchronize()
    return 5 * nbytes / (time.perf_counter() - t0) / 1e9


def main() -> None:
    import duckdb
    import torch

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, nargs="+", default=[1_000_000, 10_000_000])
    ap.add_argument("--cpu-max", type=int, default=10_000_000, help="largest size run on the CPU")
    args = ap.parse_args()
    torch.manual_seed(0)
    gpu = torch.cuda.is_available()
    print(f"torch {torch.__version__}; GPU: {torch.cuda.get_device_name(0) if gpu else 'none'}")
    if gpu:
        print(f"host-to-device (pinned, 1 GiB x5): {h2d_bandwidth():.1f} GB/s")
    with tempfile.TemporaryDirectory(prefix="bench-scoring-") as tmp:
        for n in args.rows:
            table = make_features(n)
            spec = F.FeatureSpec().fit(table.slice(0, min(n, 200_000)))
            model = build_mlp(spec)
            db = Path(tmp) / f"features-{n}.duckdb"
            with duckdb.connect(str(db)) as con:
                con.register("t", table)
                con.execute("create table features as select * from t")
            xn, xc = spec.encode(table)
            devices = (["cpu"] if n <= args.cpu_max else []) + (["cuda"] if gpu else [])
            res = {}
            for dev in devices:
                parts = score_end_to_end(db, spec, model, dev, Path(tmp) / f"{dev}.parquet")
                total = sum(parts.values())
                mo = model_only(model, xn, xc, dev)
                res[dev] = (total, mo)
                share = ", ".join(f"{k} {v / total:.0%}" for k, v in parts.items())
                print(
                    f"{n:>11,} rows {dev:>4}: end to end {n / total:>12,.0f} rows/s ({total:.2f} s:"
                    f" {share}); model only {n / mo:>14,.0f} rows/s"
                )
            if "cpu" in res and "cuda" in res:
                print(
                    f"{n:>11,} rows GPU/CPU: end to end {res['cpu'][0] / res['cuda'][0]:.1f}x,"
                    f" model only {res['cpu'][1] / res['cuda'][1]:.1f}x (aim: end to end >= 10x)"
                )
            del table, xn, xc


if __name__ == "__main__":
    main()
