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

from folio.config import FolioError, Settings
from folio.ml.features import FeatureSpec


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
    return settings.home / "models" / "churn"


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

    from folio.ml.model import build

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
