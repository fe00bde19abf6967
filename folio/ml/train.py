"""The ``train_churn`` and ``score_churn`` stages of ``folio_nightly``.

Training (when due: no model yet, the current one a week old, or feature drift past
``FOLIO_CHURN_DRIFT_PSI``): labelled rows from the build file, a time-based split (the
last ``VALIDATION_WEEKS`` as-of dates validate, older ones train), the logistic baseline
and the MLP trained, all models (and the current one) measured on the same validation
rows. The MLP is the candidate only if it beats the baseline on ROC-AUC and PR-AUC (else
the baseline is); the candidate is saved as a version and promoted only if it also beats
the current model on both.

Scoring: the window's as-of date, the current model, batches on CUDA when present; the
scores overwrite ``lake/ml/churn_scores/dt=<as-of>``; PSI of features and scores against
the model's reference (its most recent labelled weeks) goes to the quality ledger (warnings).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from typing import Any

import numpy as np
import pyarrow as pa

from folio.config import Settings
from folio.core import lake, ledger
from folio.core.errors import FolioError
from folio.core.results import StageResult
from folio.core.version import code_version
from folio.core.window import Window
from folio.ml import features as F
from folio.ml import metrics, registry
from folio.ml.model import (
    TrainConfig,
    attributions,
    device,
    logistic_from_sklearn,
    predict,
    train_baseline,
    train_mlp,
)

log = logging.getLogger("folio.ml")
VALIDATION_WEEKS = 4
RETRAIN_DAYS = 7
MIN_POSITIVES = 10
REFERENCE_SAMPLE = 2000
BANDS = ((0.6, "high"), (0.3, "medium"), (0.0, "low"))


class NotEnoughHistory(FolioError):
    """Too little labelled history to train on: a recorded skip, not a failed run."""


def _psis(reference: dict[str, list[float]], spec: F.FeatureSpec, table: pa.Table) -> dict:
    xn, _ = spec.encode(table)
    return {
        name: metrics.psi(np.asarray(reference[name]), xn[:, i])
        for i, name in enumerate(spec.numeric)
        if name in reference
    }


def training_due(settings: Settings, window: Window) -> tuple[bool, str]:
    mv = registry.current(settings)
    if mv is None:
        return True, "no current model"
    age = (window.end - dt.date.fromisoformat(mv.meta["features_end"])).days
    if age >= RETRAIN_DAYS:
        return True, f"current model {mv.version} is {age} days old"
    ref = json.loads((mv.path / "reference.json").read_text())
    table = F.read_features(settings.build_db, window.end)
    if table.num_rows:
        drifted = {k: v for k, v in _psis(ref["features"], mv.spec, table).items()
                   if v > settings.churn_drift_psi}  # fmt: skip
        if drifted:
            return True, f"feature drift (PSI) past {settings.churn_drift_psi}: {drifted}"
    return False, f"current model {mv.version} is {age} days old, no drift"


def split(table: pa.Table) -> tuple[pa.Table, pa.Table]:
    """Older as-of dates train, the last VALIDATION_WEEKS validate (no shuffling in time)."""
    dates = sorted(set(table.column("as_of_date").to_pylist()))
    if len(dates) <= VALIDATION_WEEKS:
        raise NotEnoughHistory(f"only {len(dates)} labelled as-of dates: nothing left to train on")
    cut = dates[-VALIDATION_WEEKS]
    col = table.column("as_of_date")
    import pyarrow.compute as pc

    return table.filter(pc.less(col, cut)), table.filter(pc.greater_equal(col, cut))


def _labels(table: pa.Table) -> np.ndarray:
    return np.asarray(table.column("churned_within_30d").to_numpy(zero_copy_only=False), np.int64)


def _mrr(table: pa.Table) -> np.ndarray:
    return table.column("mrr").cast(pa.float64()).fill_null(0).to_numpy()


def _beats(a: dict, b: dict | None) -> bool:
    if b is None or b.get("roc_auc") is None:
        return True
    return (a["roc_auc"] or 0) > b["roc_auc"] and (a["pr_auc"] or 0) > b["pr_auc"]


def fit(settings: Settings, table: pa.Table, cfg: TrainConfig, code: str) -> dict[str, Any]:
    """Train, measure, save and (if it earns it) promote. Returns the training report."""

    F.check_point_in_time(table)
    train, valid = split(table)
    y_tr, y_va = _labels(train), _labels(valid)
    if y_tr.sum() < MIN_POSITIVES or y_va.sum() < 1:
        raise NotEnoughHistory(
            f"too few churned examples to train: {int(y_tr.sum())} in training (need"
            f" {MIN_POSITIVES}), {int(y_va.sum())} in validation (need 1)"
        )
    spec = F.FeatureSpec().fit(train)
    xn_tr, xc_tr = spec.encode(train)
    xn_va, xc_va = spec.encode(valid)
    mrr_va = _mrr(valid)
    baseline = logistic_from_sklearn(spec, train_baseline(spec, xn_tr, xc_tr, y_tr))
    base_scores = predict(baseline, xn_va, xc_va, "cpu")
    mlp = train_mlp(spec, xn_tr, xc_tr, y_tr, cfg)
    mlp_scores = predict(mlp, xn_va, xc_va, "cpu")
    report: dict[str, Any] = {
        "baseline": metrics.evaluate(y_va, base_scores, mrr_va),
        "mlp": metrics.evaluate(y_va, mlp_scores, mrr_va),
        "current": None,
    }
    cur = registry.current(settings)
    if cur is not None:
        try:
            F.check_columns(valid, cur.spec, cur.version)
            cxn, cxc = cur.spec.encode(valid)
            report["current"] = metrics.evaluate(
                y_va, predict(registry.load_model(cur), cxn, cxc, "cpu"), mrr_va
            )
            report["current"]["version"] = cur.version
        except FolioError as exc:
            report["current"] = {"version": cur.version, "not_comparable": str(exc)}
    # the MLP is the candidate only if it beats the baseline on both measures; otherwise
    # the baseline is; the candidate is promoted only if it beats the current model too
    if _beats(report["mlp"], report["baseline"]):
        kind, model, why = "mlp", mlp, "the MLP beats the baseline on ROC-AUC and PR-AUC"
    else:
        kind, model, why = "logistic", baseline, "the MLP does not beat the baseline on both"
    current = report["current"] if report["current"] and "roc_auc" in report["current"] else None
    promote = _beats(report["mlp" if kind == "mlp" else "baseline"], current)
    dates = train.column("as_of_date").to_pylist()
    vdates = valid.column("as_of_date").to_pylist()
    # the drift reference: the most recent labelled weeks (the validation rows), not the
    # whole year: features that grow with time (tenure) would otherwise always "drift"
    rng = np.random.default_rng(cfg.seed)
    pick = rng.choice(len(xn_va), size=min(REFERENCE_SAMPLE, len(xn_va)), replace=False)
    meta = {
        "kind": kind,
        "chosen_because": why,
        "train_start": str(min(dates)),
        "train_end": str(max(dates)),
        "validation_start": str(min(vdates)),
        "validation_end": str(max(vdates)),
        "features_end": str(max(vdates)),
        "train_rows": len(y_tr),
        "validation_rows": len(y_va),
        "seed": cfg.seed,
        "epochs": cfg.epochs,
        "metrics": report,
        "promoted": promote,
        "code_version": code or code_version(),
        "created_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }
    mv = registry.save(settings, model, spec, meta)
    ref = {
        "features": {n: xn_va[pick, i].tolist() for i, n in enumerate(spec.numeric)},
        "scores": predict(model, xn_va[pick], xc_va[pick], "cpu").tolist(),
    }
    (mv.path / "reference.json").write_text(json.dumps(ref))
    if promote:
        registry.promote(settings, mv.version)
    report["version"], report["kind"], report["promoted"] = mv.version, kind, promote
    return report


def train_churn(settings: Settings, window: Window, run_id: str) -> StageResult:
    """Train when due; too little labelled history is a recorded skip, not a failure."""
    due, why = training_due(settings, window)
    if not due:
        return StageResult(rows=0, details={"trained": False, "why": why})
    table = F.read_training(settings.build_db)
    try:
        report = fit(settings, table, TrainConfig(), "")
    except NotEnoughHistory as exc:  # any other error (leakage, say) fails the task
        log.warning("churn model not trained: %s", exc)
        return StageResult(rows=table.num_rows, details={"trained": False, "why": str(exc)})
    log.info(
        "churn model %s trained (%s); promoted: %s", report["version"], why, report["promoted"]
    )
    return StageResult(rows=table.num_rows, details={"trained": True, "why": why, **report})


def band(score: np.ndarray) -> list[str]:
    return [next(name for lo, name in BANDS if s >= lo) for s in score]


def score_table(mv: registry.ModelVersion, table: pa.Table, dev: str) -> pa.Table:
    """Scores, bands and top-3 reasons of every row (the model's own feature spec)."""
    F.check_columns(table, mv.spec, mv.version)
    model = registry.load_model(mv)
    xn, xc = mv.spec.encode(table)
    score = predict(model, xn, xc, dev)
    attr = attributions(model, xn, xc, dev)
    names = np.asarray(mv.spec.names)
    top = np.argsort(-attr, axis=1, kind="stable")[:, :3]
    reasons = [[str(n) for n in names[row]] for row in top]
    return pa.table(
        {
            "account_id": table.column("account_id"),
            "as_of_date": table.column("as_of_date"),
            "score": pa.array(score.astype(np.float64)),
            "risk_band": pa.array(band(score)),
            "reason_1": pa.array([r[0] for r in reasons]),
            "reason_2": pa.array([r[1] if len(r) > 1 else None for r in reasons]),
            "reason_3": pa.array([r[2] if len(r) > 2 else None for r in reasons]),
            "model_version": pa.array([mv.version] * table.num_rows),
        }
    )


def write_partition(settings: Settings, day: dt.date, scores: pa.Table) -> None:
    """Overwrite ``lake/ml/churn_scores/dt=<day>`` whole (the lake's atomic file replace)."""

    lake.write_partition(lake.partition_dir(settings.lake / "ml" / "churn_scores", day), scores)


def score_churn(settings: Settings, window: Window, run_id: str) -> StageResult:
    """Score the paying accounts as of the window's end with the current model."""
    mv = registry.current(settings)
    if mv is None:
        return StageResult(rows=0, details={"scored": False, "why": "no promoted churn model yet"})
    table = F.read_features(settings.build_db, window.end)
    dev = device(force_cpu=settings.force_cpu)
    scores = score_table(mv, table, dev)
    write_partition(settings, window.end, scores)
    ref = json.loads((mv.path / "reference.json").read_text())
    drift = _psis(ref["features"], mv.spec, table) if table.num_rows else {}
    drift["score"] = metrics.psi(np.asarray(ref["scores"]), scores.column("score").to_numpy())
    limit = settings.churn_drift_psi
    ledger.record_quality(
        settings.ledger_path,
        run_id,
        "score_churn",
        [
            {
                "tool": "ml",
                "suite": f"churn_model.{mv.version}",
                "asset": "marts.ml_churn_features" if name != "score" else "ml/churn_scores",
                "check_name": f"psi({name})",
                "severity": "warning",
                "status": "fail" if value > limit else "pass",
                "observed": f"{value:.4f}",
                "unexpected_count": None,
                "message": f"population stability of {name} against the model's recent weeks: {value:.3f}"
                f" (warn above {limit})",
            }
            for name, value in drift.items()
        ],
    )
    return StageResult(
        rows=scores.num_rows,
        details={
            "model_version": mv.version,
            "device": dev,
            "as_of": str(window.end),
            "bands": {b: band(scores.column("score").to_numpy()).count(b) for _, b in BANDS},
            "drifted": {k: round(v, 3) for k, v in drift.items() if v > limit},
        },
    )
