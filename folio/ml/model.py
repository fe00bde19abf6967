"""The churn models: a logistic-regression baseline and a PyTorch MLP with embeddings.

Both are torch modules with one interface (the baseline is fitted by scikit-learn and
its coefficients copied into a linear module), so either can be registered and served.

Training is seeded and deterministic on the CPU (fixed seed, deterministic algorithms,
one thread order: the same data gives bit-identical weights). Scoring runs in batches on
``cuda`` when torch sees a GPU and on the CPU otherwise; reasons are gradient x input
attributions on the logit (numeric features against the training mean, categories
against their embedding's mean).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from folio.ml.features import FeatureSpec


def device(force_cpu: bool = False) -> str:
    import torch

    return "cuda" if (not force_cpu and torch.cuda.is_available()) else "cpu"


def _torch():
    import torch

    return torch


def build_mlp(spec: FeatureSpec) -> Any:
    torch = _torch()
    nn = torch.nn

    class ChurnMLP(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.embeddings = nn.ModuleList(
                nn.Embedding(len(spec.vocab[c]) + 1, min(8, (len(spec.vocab[c]) + 2) // 2))
                for c in spec.categorical
            )
            width = len(spec.numeric) + sum(e.embedding_dim for e in self.embeddings)
            self.body = nn.Sequential(
                nn.Linear(width, 64), nn.ReLU(), nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 1)
            )

        def embed(self, xc):
            return [e(xc[:, i]) for i, e in enumerate(self.embeddings)]

        def forward_parts(self, xn, parts):
            return self.body(torch.cat([xn, *parts], dim=1)).squeeze(1)

        def forward(self, xn, xc):
            return self.forward_parts(xn, self.embed(xc))

    return ChurnMLP()


def build_logistic(spec: FeatureSpec) -> Any:
    """Logistic regression as a torch module: a weight per numeric feature and per category
    (a one-dimensional embedding is exactly a one-hot weight). Same interface as the MLP,
    so the registry, the scorer and the attributions serve both kinds."""
    torch = _torch()
    nn = torch.nn

    class ChurnLogistic(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.embeddings = nn.ModuleList(
                nn.Embedding(len(spec.vocab[c]) + 1, 1) for c in spec.categorical
            )
            self.linear = nn.Linear(len(spec.numeric), 1)

        def embed(self, xc):
            return [e(xc[:, i]) for i, e in enumerate(self.embeddings)]

        def forward_parts(self, xn, parts):
            out = self.linear(xn)
            for p in parts:
                out = out + p
            return out.squeeze(1)

        def forward(self, xn, xc):
            return self.forward_parts(xn, self.embed(xc))

    return ChurnLogistic()


def build(spec: FeatureSpec, kind: str) -> Any:
    if kind == "mlp":
        return build_mlp(spec)
    if kind == "logistic":
        return build_logistic(spec)
    raise ValueError(f"unknown churn model kind {kind!r}")


def logistic_from_sklearn(spec: FeatureSpec, lr: Any) -> Any:
    """The fitted scikit-learn baseline as a torch module (same coefficients)."""
    torch = _torch()
    model = build_logistic(spec)
    coef = np.asarray(lr.coef_[0], dtype=np.float32)
    k = len(spec.numeric)
    with torch.no_grad():
        model.linear.weight.copy_(torch.from_numpy(coef[:k]).unsqueeze(0))
        model.linear.bias.fill_(float(lr.intercept_[0]))
        at = k
        for c, emb in zip(spec.categorical, model.embeddings, strict=True):
            n = len(spec.vocab[c]) + 1
            emb.weight.copy_(torch.from_numpy(coef[at : at + n]).unsqueeze(1))
            at += n
    return model.eval()


@dataclass
class TrainConfig:
    seed: int = 7
    epochs: int = 20
    batch_size: int = 256
    lr: float = 3e-3
    weight_decay: float = 1e-3
    # weighting the rare churned class up ranked no better at the default scale and left
    # the scores badly calibrated (ECE 0.08-0.15 against 0.007): off, scores are probabilities
    balance: bool = False


def train_mlp(
    spec: FeatureSpec, xn: np.ndarray, xc: np.ndarray, y: np.ndarray, cfg: TrainConfig
) -> Any:
    """Seeded, deterministic training on the CPU (BCE, Adam, shuffled mini-batches)."""
    torch = _torch()
    torch.manual_seed(cfg.seed)
    torch.use_deterministic_algorithms(True)
    model = build_mlp(spec)
    tn, tc = torch.from_numpy(xn), torch.from_numpy(xc)
    ty = torch.from_numpy(y.astype(np.float32))
    pos = max(float(ty.sum()), 1.0)
    weight = torch.tensor((len(ty) - pos) / pos if cfg.balance else 1.0)
    loss_fn = torch.nn.BCEWithLogitsLoss(pos_weight=weight)
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    gen = torch.Generator().manual_seed(cfg.seed)
    model.train()
    for _ in range(cfg.epochs):
        order = torch.randperm(len(ty), generator=gen)
        for start in range(0, len(ty), cfg.batch_size):
            idx = order[start : start + cfg.batch_size]
            opt.zero_grad()
            loss = loss_fn(model(tn[idx], tc[idx]), ty[idx])
            loss.backward()
            opt.step()
    model.eval()
    return model


def predict(
    model: Any, xn: np.ndarray, xc: np.ndarray, dev: str = "cpu", batch: int = 65536
) -> np.ndarray:
    """Churn probabilities, in batches on ``dev``."""
    torch = _torch()
    model = model.to(dev).eval()
    out = np.empty(len(xn), dtype=np.float32)
    with torch.no_grad():
        for s in range(0, len(xn), batch):
            bn = torch.from_numpy(xn[s : s + batch]).to(dev, non_blocking=True)
            bc = torch.from_numpy(xc[s : s + batch]).to(dev, non_blocking=True)
            out[s : s + batch] = torch.sigmoid(model(bn, bc)).float().cpu().numpy()
    return out


def attributions(
    model: Any, xn: np.ndarray, xc: np.ndarray, dev: str = "cpu", batch: int = 65536
) -> np.ndarray:
    """Gradient x input on the logit per feature [n, numeric + categorical] (risk reasons).

    Numeric inputs are standardised, so the baseline is the training mean (zero); a
    category's baseline is the mean of its embedding table.
    """
    torch = _torch()
    model = model.to(dev).eval()
    k = xn.shape[1] + xc.shape[1]
    out = np.empty((len(xn), k), dtype=np.float32)
    for s in range(0, len(xn), batch):
        bn = torch.from_numpy(xn[s : s + batch]).to(dev).requires_grad_(True)
        bc = torch.from_numpy(xc[s : s + batch]).to(dev)
        parts = [p.detach().requires_grad_(True) for p in model.embed(bc)]
        logit = model.forward_parts(bn, parts)
        grads = torch.autograd.grad(logit.sum(), [bn, *parts])
        cols = [grads[0] * bn]
        for g, p, e in zip(grads[1:], parts, model.embeddings, strict=True):
            cols.append((g * (p - e.weight.mean(dim=0))).sum(dim=1, keepdim=True))
        out[s : s + batch] = torch.cat(cols, dim=1).detach().float().cpu().numpy()
    return out


def one_hot(spec: FeatureSpec, xn: np.ndarray, xc: np.ndarray) -> np.ndarray:
    """The baseline's design matrix: the standardised numerics and one-hot categories."""
    blocks = [xn]
    for i, c in enumerate(spec.categorical):
        m = np.zeros((len(xc), len(spec.vocab[c]) + 1), dtype=np.float32)
        m[np.arange(len(xc)), xc[:, i]] = 1.0
        blocks.append(m)
    return np.concatenate(blocks, axis=1)


def train_baseline(spec: FeatureSpec, xn: np.ndarray, xc: np.ndarray, y: np.ndarray) -> Any:
    """Logistic regression (scikit-learn, lbfgs): the bar the MLP must clear."""
    from sklearn.linear_model import LogisticRegression

    lr = LogisticRegression(max_iter=2000)
    return lr.fit(one_hot(spec, xn, xc), y)
