"""The churn model on synthetic features: determinism, the registry, promotion, scoring."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa
import pytest

from folio.config import Settings
from folio.core.errors import FolioError
from folio.ml import features as F
from folio.ml import registry
from folio.ml.model import (
    TrainConfig,
    device,
    logistic_from_sklearn,
    one_hot,
    predict,
    train_baseline,
    train_mlp,
)
from folio.ml.train import fit, score_table, split, write_partition

AS_OF = [dt.date(2026, 1, 5) + dt.timedelta(days=7 * i) for i in range(12)]


def synthetic(n_accounts: int = 150, seed: int = 3, signal: float = 1.0) -> pa.Table:
    """Features for every account and as-of date; churn driven by inactivity and past due."""
    rng = np.random.default_rng(seed)
    rows: dict[str, list] = {c: [] for c in (*F.KEY, *F.NUMERIC, *F.CATEGORICAL)}
    rows |= {"churned_within_30d": [], "session_last_seen_at": []}
    for d in AS_OF:
        for a in range(n_accounts):
            sessions = int(rng.poisson(4))
            past_due = bool(rng.random() < 0.15)
            tenure = int(rng.integers(10, 400))
            interval = str(rng.choice(["month", "year"]))
            # interactions a linear model cannot draw: quiet *new* accounts, *monthly* past due
            risk = (
                -3.0
                + signal * (4.0 * (sessions < 3 and tenure < 150))
                + signal * (4.0 * (past_due and interval == "month"))
                + rng.normal(0, 0.5)
            )
            values = {
                "account_id": a,
                "as_of_date": d,
                "mrr": float(rng.choice([12.0, 24.0, 40.0])),
                "mrr_change_28d": float(rng.choice([0.0, 0.0, 12.0, -12.0])),
                "tenure_days": tenure,
                "subscription_age_days": int(rng.integers(0, 300)),
                "sessions_7d": sessions // 3,
                "sessions_28d": sessions,
                "days_since_last_session": int(rng.integers(0, 30)),
                "site_sessions_28d": int(rng.poisson(20)),
                "images_total": int(rng.poisson(80)),
                "images_28d": int(rng.poisson(10)),
                "failed_charges_90d": int(past_due),
                "is_past_due": past_due,
                "is_cancel_scheduled": bool(rng.random() < 0.05),
                "billing_interval": interval,
                "acquisition_channel": str(rng.choice(["organic_search", "social", "referral"])),
                "country": str(rng.choice(["US", "DE", "FR"])),
                "churned_within_30d": bool(risk > 0),
                "session_last_seen_at": dt.datetime.combine(d, dt.time(9)),
            }
            for k, v in values.items():
                rows[k].append(v)
    return pa.table(rows)


@pytest.fixture(scope="module")
def data() -> pa.Table:
    return synthetic()


@pytest.fixture()
def settings(tmp_path) -> Settings:
    return Settings(home=tmp_path / "home")


def test_training_is_deterministic_on_the_cpu(data):
    train, _ = split(data)
    spec = F.FeatureSpec().fit(train)
    xn, xc = spec.encode(train)
    y = np.asarray(train.column("churned_within_30d").to_pylist(), dtype=np.int64)
    cfg = TrainConfig(epochs=5)
    a, b = train_mlp(spec, xn, xc, y, cfg), train_mlp(spec, xn, xc, y, cfg)
    for (ka, va), (kb, vb) in zip(a.state_dict().items(), b.state_dict().items(), strict=True):
        assert ka == kb and bool((va == vb).all()), ka
    other = train_mlp(spec, xn, xc, y, TrainConfig(epochs=5, seed=8))
    assert not all(bool((va == vb).all()) for va, vb in zip(a.state_dict().values(), other.state_dict().values(), strict=True))  # fmt: skip


def test_the_split_is_by_time(data):
    train, valid = split(data)
    assert max(train.column("as_of_date").to_pylist()) < min(valid.column("as_of_date").to_pylist())
    assert sorted(set(valid.column("as_of_date").to_pylist())) == AS_OF[-4:]


def test_fit_saves_a_version_that_reloads_and_scores_identically(settings, data):
    report = fit(settings, data, TrainConfig(epochs=20), "test")
    m, b = report["mlp"], report["baseline"]
    assert report["kind"] == (
        "mlp" if m["roc_auc"] > b["roc_auc"] and m["pr_auc"] > b["pr_auc"] else "logistic"
    )
    assert report["promoted"]  # nothing was current
    assert 0.5 < m["roc_auc"] <= 1 and m["calibration"]["ece"] >= 0
    assert 0 < m["top_decile_mrr_capture"] <= 1
    mv = registry.load(settings, report["version"])
    files = sorted(p.name for p in mv.path.iterdir())
    assert files == ["feature_spec.json", "model.json", "reference.json", "weights.safetensors"]
    assert mv.meta["train_end"] < mv.meta["validation_start"]
    assert mv.meta["code_version"] == "test"
    # reloaded from safetensors: the same scores as the model trained in memory
    table = data.filter(pa.compute.equal(data.column("as_of_date"), AS_OF[-1]))
    first = score_table(mv, table, "cpu")
    again = score_table(registry.load(settings, report["version"]), table, "cpu")
    assert first.equals(again)
    assert set(first.column("risk_band").to_pylist()) <= {"high", "medium", "low"}
    assert set(first.column("reason_1").to_pylist()) <= set(mv.spec.names)


def test_the_baseline_as_a_torch_module_scores_like_scikit_learn(data):
    train, _ = split(data)
    spec = F.FeatureSpec().fit(train)
    xn, xc = spec.encode(train)
    y = np.asarray(train.column("churned_within_30d").to_pylist(), dtype=np.int64)
    lr = train_baseline(spec, xn, xc, y)
    torch_lr = logistic_from_sklearn(spec, lr)
    np.testing.assert_allclose(
        predict(torch_lr, xn, xc), lr.predict_proba(one_hot(spec, xn, xc))[:, 1], atol=1e-5
    )


def test_when_the_mlp_does_not_beat_the_baseline_the_baseline_serves(settings, data):
    report = fit(settings, data, TrainConfig(epochs=1, lr=1e-5), "test")  # an untrained MLP
    assert report["kind"] == "logistic" and report["promoted"]
    mv = registry.current(settings)
    assert mv.meta["kind"] == "logistic" and "does not beat" in mv.meta["chosen_because"]
    scores = score_table(mv, data.slice(0, 50), "cpu")
    assert scores.num_rows == 50 and set(scores.column("reason_1").to_pylist()) <= set(
        mv.spec.names
    )


def test_a_model_must_beat_the_baseline_and_the_current_one(settings, data):
    first = fit(settings, data, TrainConfig(epochs=20), "test")
    # a clear non-linear signal: the MLP beats logistic regression, and nothing is current
    assert first["kind"] == "mlp" and first["promoted"], first
    cur = registry.current(settings)
    assert cur is not None and cur.version == first["version"]
    # a retrain whose MLP learns nothing: the candidate is the baseline, which loses to the
    # current MLP on the same validation rows, so nothing changes
    second = fit(settings, data, TrainConfig(epochs=1, lr=1e-5), "test")
    assert second["kind"] == "logistic"
    assert second["current"]["version"] == first["version"]
    assert not second["promoted"]
    assert registry.current(settings).version == first["version"]
    assert len(registry.versions(settings)) == 2
    # operators can still promote by hand (a rollback of the model)
    registry.promote(settings, second["version"])
    assert registry.current(settings).version == second["version"]


def test_a_leaking_feature_stops_training(settings, data):
    rows = data.column("session_last_seen_at").to_pylist()
    rows[5] = dt.datetime.combine(data.column("as_of_date")[5].as_py(), dt.time()) + dt.timedelta(
        days=2
    )
    leaked = data.set_column(
        data.column_names.index("session_last_seen_at"), "session_last_seen_at", pa.array(rows)
    )
    with pytest.raises(FolioError, match=r"leakage: 1 row\(s\).*session_last_seen_at"):
        fit(settings, leaked, TrainConfig(epochs=1), "test")


def test_a_missing_feature_fails_scoring_naming_it_and_writes_nothing(settings, data):
    report = fit(settings, data, TrainConfig(epochs=5), "test")
    mv = registry.load(settings, report["version"])
    table = data.drop_columns(["sessions_28d"])
    with pytest.raises(FolioError) as err:
        score_table(mv, table, "cpu")
    assert f"churn model {report['version']} needs feature(s) sessions_28d" in str(err.value)
    assert not (settings.lake / "ml").exists()


def test_forced_cpu_scores_equal_the_default_device(settings, data):
    report = fit(settings, data, TrainConfig(epochs=5), "test")
    mv = registry.load(settings, report["version"])
    table = data.filter(pa.compute.equal(data.column("as_of_date"), AS_OF[-1]))
    cpu = score_table(mv, table, device(force_cpu=True)).column("score").to_numpy()
    default = score_table(mv, table, device()).column("score").to_numpy()
    np.testing.assert_allclose(default, cpu, atol=1e-4)
    write_partition(settings, AS_OF[-1], score_table(mv, table, "cpu"))
    write_partition(settings, AS_OF[-1], score_table(mv, table, "cpu"))  # overwrite, not append
    files = list((settings.lake / "ml" / "churn_scores").rglob("*.parquet"))
    assert [f.parent.name for f in files] == [f"dt={AS_OF[-1]}"]


def test_gpu_scores_match_the_cpu_within_1e_4(settings, data):
    import torch

    if not torch.cuda.is_available():
        pytest.skip("no CUDA GPU on this machine: GPU/CPU parity runs on the device machine")
    report = fit(settings, data, TrainConfig(epochs=5), "test")
    mv = registry.load(settings, report["version"])
    xn, xc = mv.spec.encode(data)
    model = registry.load_model(mv)
    np.testing.assert_allclose(
        predict(model, xn, xc, "cuda"), predict(model, xn, xc, "cpu"), atol=1e-4
    )


def test_training_is_due_without_a_model_after_a_week_or_on_drift(settings, data):
    import duckdb

    from folio.core.window import Window
    from folio.ml.train import training_due

    last = AS_OF[-1]
    assert training_due(settings, Window(last, last)) == (True, "no current model")
    fit(settings, data, TrainConfig(epochs=5), "test")
    settings.warehouse.mkdir(parents=True)
    features = data.drop_columns(["churned_within_30d"])
    with duckdb.connect(str(settings.build_db)) as con:
        con.execute("create schema marts")
        con.register("features", features)
        con.execute("create table marts.ml_churn_features as select * from features")
    due, why = training_due(settings, Window(last, last))
    assert not due and "no drift" in why
    week = last + dt.timedelta(days=7)
    assert training_due(settings, Window(week, week))[0] is True
    with duckdb.connect(str(settings.build_db)) as con:  # activity collapses on the last day
        con.execute(f"update marts.ml_churn_features set sessions_28d = 0, sessions_7d = 0 where as_of_date = '{last}'")  # fmt: skip
    due, why = training_due(settings, Window(last, last))
    assert due and "feature drift" in why and "sessions_28d" in why


def test_the_training_task_skips_short_history_but_fails_on_leakage(settings, data):
    import duckdb

    from folio.core.window import Window
    from folio.ml.train import train_churn

    def build(table: pa.Table) -> None:
        settings.warehouse.mkdir(parents=True, exist_ok=True)
        settings.build_db.unlink(missing_ok=True)
        labels = table.select(["account_id", "as_of_date", "churned_within_30d"])
        features = table.drop_columns(["churned_within_30d"])
        with duckdb.connect(str(settings.build_db)) as con:
            con.register("f", features)
            con.register("l", labels)
            con.execute("create schema marts")
            con.execute("create table marts.ml_churn_features as select * from f")
            con.execute("create table marts.ml_churn_labels as select *, as_of_date + 30 as label_date from l")  # fmt: skip

    window = Window(AS_OF[-1], AS_OF[-1])
    build(data.filter(pa.compute.less_equal(data.column("as_of_date"), AS_OF[3])))
    short = train_churn(settings, window, "r")
    assert short.details == {"trained": False, "why": "only 4 labelled as-of dates: nothing left to train on"}  # fmt: skip
    rows = data.column("session_last_seen_at").to_pylist()
    rows[0] = dt.datetime(2030, 1, 1)
    build(data.set_column(data.column_names.index("session_last_seen_at"), "session_last_seen_at", pa.array(rows)))  # fmt: skip
    with pytest.raises(FolioError, match="leakage"):
        train_churn(settings, window, "r")
