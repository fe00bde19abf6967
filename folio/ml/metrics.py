"""Model quality measures on one validation set: ranking, calibration, MRR capture, drift."""

from __future__ import annotations

from typing import Any

import numpy as np


def evaluate(y: np.ndarray, score: np.ndarray, mrr: np.ndarray) -> dict[str, Any]:
    """ROC-AUC, PR-AUC (average precision), calibration and top-decile MRR capture."""
    from sklearn.metrics import average_precision_score, roc_auc_score

    y = np.asarray(y, dtype=np.int64)
    out: dict[str, Any] = {"rows": len(y), "positives": int(y.sum())}
    if 0 < y.sum() < len(y):
        out["roc_auc"] = float(roc_auc_score(y, score))
        out["pr_auc"] = float(average_precision_score(y, score))
    else:
        out["roc_auc"] = out["pr_auc"] = None
    out["calibration"] = calibration(y, score)
    out["top_decile_mrr_capture"] = top_decile_capture(y, score, mrr)
    return out


def calibration(y: np.ndarray, score: np.ndarray, bins: int = 10) -> dict[str, Any]:
    """Expected calibration error and the reliability table (mean score vs churn rate)."""
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.digitize(score, edges[1:-1]), 0, bins - 1)
    table, ece = [], 0.0
    for b in range(bins):
        m = which == b
        if not m.any():
            continue
        mean_score, rate = float(score[m].mean()), float(y[m].mean())
        ece += m.mean() * abs(mean_score - rate)
        table.append({"bin": b, "rows": int(m.sum()), "mean_score": mean_score, "churn_rate": rate})
    return {"ece": float(ece), "bins": table}


def top_decile_capture(y: np.ndarray, score: np.ndarray, mrr: np.ndarray) -> float | None:
    """Share of the churned MRR held by the 10% of accounts with the highest scores."""
    churned = float((mrr * y).sum())
    if churned <= 0:
        return None
    k = max(1, int(np.ceil(0.1 * len(score))))
    top = np.argsort(-score, kind="stable")[:k]
    return float((mrr[top] * y[top]).sum() / churned)


def psi(expected: np.ndarray, actual: np.ndarray, bins: int = 10) -> float:
    """Population stability index of ``actual`` against ``expected`` (decile bins of it)."""
    expected = np.asarray(expected, dtype=np.float64)
    actual = np.asarray(actual, dtype=np.float64)
    if len(expected) == 0 or len(actual) == 0:
        return 0.0
    edges = np.unique(np.quantile(expected, np.linspace(0, 1, bins + 1)[1:-1]))
    e = np.bincount(np.searchsorted(edges, expected, side="right"), minlength=len(edges) + 1)
    a = np.bincount(np.searchsorted(edges, actual, side="right"), minlength=len(edges) + 1)
    e = np.clip(e / e.sum(), 1e-4, None)
    a = np.clip(a / a.sum(), 1e-4, None)
    return float(((a - e) * np.log(a / e)).sum())
