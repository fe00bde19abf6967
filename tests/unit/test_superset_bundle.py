"""The Superset bundle is consistent on its own, and Superset's configuration keeps secrets."""

from __future__ import annotations

import importlib.util
import json
import stat

import pytest
import yaml

from folio.superset import bundle

TITLES = {
    "Executive overview",
    "Retention and churn",
    "Product engagement",
    "Churn risk",
    "Portfolio traffic",
    "Data health",
}


def _load(kind: str) -> dict[str, dict]:
    return {p.stem: yaml.safe_load(p.read_text()) for p in (bundle.BUNDLE / kind).rglob("*.yaml")}


def test_the_database_is_read_only_without_dml_or_file_access():
    [db] = _load("databases").values()
    assert db["uuid"] == bundle.DATABASE_UUID and db["database_name"] == bundle.DATABASE_NAME
    assert db["sqlalchemy_uri"] == bundle.SERVED_URI  # no machine's path in the bundle
    assert db["allow_dml"] is False and db["allow_ctas"] is False and db["allow_cvas"] is False
    args = db["extra"]["engine_params"]["connect_args"]
    assert args["read_only"] is True
    assert args["config"] == {"enable_external_access": False, "lock_configuration": True}


def test_every_chart_uses_a_bundled_dataset_and_a_time_filter_on_a_date_column():
    datasets = {d["uuid"]: d for d in _load("datasets").values()}
    charts = _load("charts")
    assert len(charts) == 27
    for name, chart in charts.items():
        ds = datasets[chart["dataset_uuid"]]
        temporal = {c["column_name"] for c in ds["columns"] if c["is_dttm"]}
        ranges = [f for f in chart["params"]["adhoc_filters"] if f["operator"] == "TEMPORAL_RANGE"]
        assert len(ranges) == 1 and ranges[0]["subject"] in temporal, name
        qc = json.loads(chart["query_context"])
        assert qc["queries"] and qc["form_data"]["viz_type"] == chart["viz_type"], name


def test_six_dashboards_whose_charts_and_filters_resolve():
    charts = {c["uuid"]: c for c in _load("charts").values()}
    datasets = {d["uuid"]: d for d in _load("datasets").values()}
    dashboards = _load("dashboards")
    assert {d["dashboard_title"] for d in dashboards.values()} == TITLES
    placed = set()
    for dash in dashboards.values():
        nodes = [n for n in dash["position"].values() if isinstance(n, dict)]
        slots = {n["meta"]["chartId"]: n["meta"]["uuid"] for n in nodes if n["type"] == "CHART"}
        assert slots and set(slots.values()) <= set(charts), dash["slug"]
        placed |= set(slots.values())
        filters = dash["metadata"]["native_filter_configuration"]
        assert filters[0]["filterType"] == "filter_time", dash["slug"]
        for f in filters[1:]:
            [target] = f["targets"]
            ds = datasets[target["datasetUuid"]]
            assert target["column"]["name"] in {c["column_name"] for c in ds["columns"]}
            assert set(f["scope"]["excluded"]) <= set(slots)
            # the filter reaches exactly the charts of its dataset
            reached = {i for i in slots if i not in f["scope"]["excluded"]}
            assert all(charts[slots[i]]["dataset_uuid"] == ds["uuid"] for i in reached), f["name"]
    assert placed == set(charts)  # no chart is left off every dashboard


def _config(tmp_path, monkeypatch):
    monkeypatch.setenv("FOLIO_HOME", str(tmp_path))
    spec = importlib.util.spec_from_file_location(
        "superset_config_under_test", bundle.REPO_ROOT / "superset" / "superset_config.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_secret_key_is_generated_once_with_mode_600(tmp_path, monkeypatch):
    monkeypatch.delenv("SUPERSET_SECRET_KEY", raising=False)
    first = _config(tmp_path, monkeypatch)
    path = tmp_path / "superset" / "secret_key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(first.SECRET_KEY) >= 40 and first.SECRET_KEY != "CHANGE_ME_SECRET_KEY"
    assert _config(tmp_path, monkeypatch).SECRET_KEY == first.SECRET_KEY
    assert first.WTF_CSRF_ENABLED is True and first.DEBUG is False
    assert first.SQLALCHEMY_DATABASE_URI.startswith(f"sqlite:///{tmp_path}/superset/")
    assert first.GUEST_TOKEN_JWT_SECRET == first.SECRET_KEY


@pytest.mark.parametrize("env", ["SUPERSET_SECRET_KEY", "FOLIO_SUPERSET_DB_URL"])
def test_the_environment_overrides_the_defaults(tmp_path, monkeypatch, env):
    monkeypatch.setenv(env, "postgresql://superset@127.0.0.1/superset")
    config = _config(tmp_path, monkeypatch)
    if env == "SUPERSET_SECRET_KEY":
        assert config.SECRET_KEY == "postgresql://superset@127.0.0.1/superset"
        assert not (tmp_path / "superset" / "secret_key").exists()
    else:
        assert config.SQLALCHEMY_DATABASE_URI == "postgresql://superset@127.0.0.1/superset"


def test_every_dashboard_is_a_dbt_exposure_of_the_marts_its_charts_read():
    charts = {c["uuid"]: c for c in _load("charts").values()}
    tables = {d["uuid"]: d["table_name"] for d in _load("datasets").values()}
    path = bundle.REPO_ROOT / "dbt_project" / "models" / "marts" / "_dashboards__exposures.yml"
    exposures = {e["url"]: e for e in yaml.safe_load(path.read_text())["exposures"]}
    for dash in _load("dashboards").values():
        exposure = exposures.pop(f"http://127.0.0.1:8088/superset/dashboard/{dash['slug']}/")
        read = {
            tables[charts[n["meta"]["uuid"]]["dataset_uuid"]]
            for n in dash["position"].values()
            if isinstance(n, dict) and n.get("type") == "CHART"
        }
        assert exposure["type"] == "dashboard" and exposure["label"] == dash["dashboard_title"]
        assert exposure["depends_on"] == [f"ref('{t}')" for t in sorted(read)]
    assert not exposures, f"exposures of no dashboard: {sorted(exposures)}"
