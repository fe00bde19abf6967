"""The churn model registry under ``FOLIO_HOME/models/churn/``.

One folder per version: ``weights.safetensors`` (tensors only, never pickled code),
``feature_spec.json``, ``model.json`` (kind, architecture sizes, training interval, seed,
metrics, code version, created at). ``current`` names the promoted version; it is replaced
atomically, so a scorer reads the old or the new name, never half a file.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from folio.config import Settings
from folio.core import lake
from folio.core.errors import FolioError
from folio.ml.features import FeatureSpec
from folio.ml.model import build


@dataclass
class ModelVersion:
    version: str
    path: Path
    meta: dict[str, Any]
    spec: FeatureSpec

    @property
    def interval(self) -> str:
        return f"{self.meta['train_start']}..{self.meta['train_end']}"


def root(settings: Settings) -> Path:
    return settings.paths.churn_models


def new_version(when: dt.datetime | None = None) -> str:
    return (when or dt.datetime.now(dt.UTC)).strftime("%Y%m%dT%H%M%S%fZ")


def save(settings: Settings, model: Any, spec: FeatureSpec, meta: dict[str, Any]) -> ModelVersion:
    """Write a version folder (under a temporary name, then renamed whole)."""
    from safetensors.torch import save_file

    version = meta.get("version") or new_version()
    meta = {**meta, "version": version}
    final = root(settings) / version
    tmp = root(settings) / f".{version}.tmp"
    tmp.mkdir(parents=True, exist_ok=False)
    state = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    save_file(state, str(tmp / "weights.safetensors"))
    (tmp / "feature_spec.json").write_text(spec.to_json())
    (tmp / "model.json").write_text(json.dumps(meta, indent=2, default=str))
    os.replace(tmp, final)
    return ModelVersion(version, final, meta, spec)


def load(settings: Settings, version: str) -> ModelVersion:
    path = root(settings) / version
    if not (path / "model.json").exists():
        raise FolioError(f"no churn model version {version} under {root(settings)}")
    meta = json.loads((path / "model.json").read_text())
    spec = FeatureSpec.from_json((path / "feature_spec.json").read_text())
    return ModelVersion(version, path, meta, spec)


def load_model(mv: ModelVersion) -> Any:
    """The model of a version (MLP or logistic), its weights read as plain tensors."""
    from safetensors.torch import load_file

    model = build(mv.spec, mv.meta.get("kind", "mlp"))
    state = load_file(str(mv.path / "weights.safetensors"))
    try:
        model.load_state_dict(state)
    except RuntimeError as exc:
        raise FolioError(
            f"churn model {mv.version}: its weights do not fit its feature spec:"
            f" {str(exc).splitlines()[0]}"
        ) from None
    return model.eval()


def versions(settings: Settings) -> list[ModelVersion]:
    base = root(settings)
    if not base.is_dir():
        return []
    return [load(settings, p.name) for p in sorted(base.iterdir()) if (p / "model.json").exists()]


def current(settings: Settings) -> ModelVersion | None:
    pointer = root(settings) / "current"
    if not pointer.exists():
        return None
    return load(settings, pointer.read_text().strip())


def promote(settings: Settings, version: str) -> ModelVersion:
    """Make ``version`` the current model (an atomic replace of the pointer)."""
    mv = load(settings, version)
    pointer = root(settings) / "current"
    tmp = pointer.with_name(".current.tmp")
    tmp.write_text(version + "\n")
    os.replace(tmp, pointer)
    return mv


def export_to_lake(settings: Settings) -> int:
    """Every version's validation metrics to ``lake/ml/model_versions/registry.parquet``.

    One row per version and evaluated model (the baseline, the MLP, and the model that was
    current when the version was trained): what the "model quality by version" chart and
    ``marts.ml_model_versions`` read. Replaced atomically (``lake.replace_file``).
    """
    import pyarrow as pa

    cur = current(settings)
    rows = []
    for mv in versions(settings):
        for evaluated, m in mv.meta["metrics"].items():
            if not isinstance(m, dict) or "roc_auc" not in m:
                continue  # no current model then, or one that could not be compared
            rows.append(
                {
                    "model_version": mv.version,
                    "created_at": dt.datetime.fromisoformat(mv.meta["created_at"]).replace(
                        tzinfo=None
                    ),
                    "model_kind": mv.meta["kind"],
                    "is_current": cur is not None and cur.version == mv.version,
                    "was_promoted": bool(mv.meta["promoted"]),
                    "train_start": dt.date.fromisoformat(mv.meta["train_start"]),
                    "train_end": dt.date.fromisoformat(mv.meta["train_end"]),
                    "validation_start": dt.date.fromisoformat(mv.meta["validation_start"]),
                    "validation_end": dt.date.fromisoformat(mv.meta["validation_end"]),
                    "evaluated_model": evaluated,
                    "validation_rows": m["rows"],
                    "validation_positives": m["positives"],
                    "roc_auc": m["roc_auc"],
                    "pr_auc": m["pr_auc"],
                    "calibration_error": m["calibration"]["ece"],
                    "top_decile_mrr_capture": m["top_decile_mrr_capture"],
                }
            )
    schema = pa.schema(
        [
            ("model_version", pa.string()),
            ("created_at", pa.timestamp("us")),
            ("model_kind", pa.string()),
            ("is_current", pa.bool_()),
            ("was_promoted", pa.bool_()),
            ("train_start", pa.date32()),
            ("train_end", pa.date32()),
            ("validation_start", pa.date32()),
            ("validation_end", pa.date32()),
            ("evaluated_model", pa.string()),
            ("validation_rows", pa.int64()),
            ("validation_positives", pa.int64()),
            ("roc_auc", pa.float64()),
            ("pr_auc", pa.float64()),
            ("calibration_error", pa.float64()),
            ("top_decile_mrr_capture", pa.float64()),
        ]
    )
    final = settings.lake / "ml" / "model_versions" / "registry.parquet"
    lake.replace_file(final, pa.Table.from_pylist(rows, schema=schema))
    return len(rows)
