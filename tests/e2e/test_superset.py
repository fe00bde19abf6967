"""A real Superset (gunicorn on 127.0.0.1, SQLite metadata) over marts the pipeline published.

The served file comes from `folio run` through Airflow on the shared simulated history
(tests/conftest.py: `backfilled_history`, copied), plus a churn model trained on synthetic
rows (the short history has too few labelled weeks to learn from), scored, and published
again: every mart has rows. Then `folio superset init`
provisions Superset from the bundle, and the tests use it as people would: the REST API,
SQL Lab, and the dashboards in headless Chromium.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
import requests
import yaml
from conftest import E2E_END, E2E_START, REPO, copy_home
from ports import free_port

from folio.config import Settings
from folio.core.window import Window
from folio.superset import bundle, service
from folio.superset.client import Client

pytestmark = pytest.mark.slow
FOLIO = str(Path(sys.executable).with_name("folio"))
START, END = str(E2E_START), str(E2E_END)
PASSWORDS = {"analyst": "an-analyst-pw-1", "viewer": "a-viewer-pw-1"}


def folio(*args: str, env: dict) -> subprocess.CompletedProcess:
    proc = subprocess.run(
        [FOLIO, *args], capture_output=True, text=True, env=env, cwd=REPO, timeout=900
    )
    assert proc.returncode == 0, f"folio {' '.join(args)}:\n{proc.stdout}\n{proc.stderr}"
    return proc


@pytest.fixture(scope="module")
def platform(backfilled_history, tmp_path_factory):
    home = copy_home(backfilled_history, tmp_path_factory.mktemp("superset") / "home")
    env = {**os.environ, "FOLIO_HOME": str(home), "FOLIO_RETRY_DELAY_SECONDS": "1"}

    # a model to score with: the history is too short to train one (a recorded skip)
    sys.path.insert(0, str(REPO / "tests" / "unit"))
    from test_churn_model import synthetic

    from folio.ml.model import TrainConfig
    from folio.ml.train import fit, score_churn
    from folio.warehouse.publish import publish
    from folio.warehouse.transform import build_ml_marts, build_ops_marts

    settings = Settings(home=home)
    window = Window(dt.date.fromisoformat(START), dt.date.fromisoformat(END))
    fit(settings, synthetic(), TrainConfig(epochs=5), "test")
    score_churn(settings, window, "superset-test")
    build_ml_marts(settings, window, "superset-test")
    build_ops_marts(settings, window, "superset-test")
    publish(settings, "superset-test", window)

    init = folio("superset", "init", env=env)
    port = free_port()
    server = service.start(settings, port)
    for user, password in PASSWORDS.items():
        service.add_user(settings, user, user.capitalize(), password)
    try:
        yield settings, server.url, env, init.stdout
    finally:
        service.stop(settings)


def _admin(settings: Settings, url: str) -> Client:
    password = (settings.home / "superset" / "admin_password").read_text().strip()
    return Client(url, "admin", password).login()


def _served_marts(settings: Settings) -> dict[str, int]:
    with duckdb.connect(str(settings.warehouse / "folio.duckdb"), read_only=True) as con:
        names = [
            t
            for (t,) in con.execute(
                "select table_name from information_schema.tables where table_schema = 'marts'"
            ).fetchall()
        ]
        return {t: con.execute(f"select count(*) from marts.{t}").fetchall()[0][0] for t in names}


def test_every_mart_of_the_bundle_is_served_with_rows(platform):
    settings, *_ = platform
    served = _served_marts(settings)
    datasets = {p.stem for p in (bundle.BUNDLE / "datasets" / "Folio_marts").glob("*.yaml")}
    assert datasets == set(served)
    charted = {
        yaml.safe_load(p.read_text())["dataset_uuid"]
        for p in (bundle.BUNDLE / "charts").glob("*.yaml")
    }
    by_uuid = {bundle.dataset_uuid(t): t for t in served}
    empty = [by_uuid[u] for u in charted if served[by_uuid[u]] == 0]
    assert not empty, f"charted marts without rows: {empty}"


def test_init_prints_the_admin_password_once_and_keeps_secrets_private(platform):
    settings, _, env, first = platform
    assert "password" in first and "shown once" in first
    again = folio("superset", "init", env=env).stdout
    assert "shown once" not in again and "admin exists" in again
    for name in ("admin_password", "secret_key"):
        mode = stat.S_IMODE((settings.home / "superset" / name).stat().st_mode)
        assert mode == 0o600, (name, oct(mode))
    password = (settings.home / "superset" / "admin_password").read_text().strip()
    assert password in first and password not in again and len(password) >= 20


def test_a_second_init_changes_nothing_and_import_then_export_round_trips(platform, tmp_path):
    settings, url, env, _ = platform
    # ... also on a FOLIO_HOME that lost the admin's password file (the metadata kept it)
    secret = settings.home / "superset" / "admin_password"
    old = secret.read_text().strip()
    secret.unlink()
    try:
        again = folio("superset", "init", env=env).stdout
        assert not secret.exists()  # init never changes the password of an existing admin
    finally:  # the module's other tests log in with it
        if not secret.exists():
            secret.write_text(old + "\n")
            secret.chmod(0o600)
    # one line however long the path (no wrapping), naming the way out
    assert "is missing" in again and "`folio superset reset-admin-password`" in again
    reset = folio("superset", "reset-admin-password", env=env).stdout
    new = secret.read_text().strip()
    assert new in reset and "shown once" in reset and new != old and len(new) >= 20
    assert stat.S_IMODE(secret.stat().st_mode) == 0o600
    with pytest.raises(requests.HTTPError):
        Client(url, "admin", old).login()
    out = tmp_path / "exported"
    folio("superset", "export", "--out", str(out), env=env)
    committed = {
        str(p.relative_to(bundle.BUNDLE)): p.read_text() for p in bundle.BUNDLE.rglob("*.yaml")
    }
    exported = {str(p.relative_to(out)): p.read_text() for p in out.rglob("*.yaml")}
    assert sorted(exported) == sorted(committed)
    meta = {k: v for k, v in yaml.safe_load(exported.pop("metadata.yaml")).items()}
    assert meta["type"] == "assets" and "timestamp" in meta
    committed.pop("metadata.yaml")
    changed = [name for name in committed if committed[name] != exported[name]]
    assert not changed, f"export differs from the committed bundle: {changed}"
    client = _admin(settings, url)
    assert len(client.charts()) == len(list((bundle.BUNDLE / "charts").glob("*.yaml")))
    assert len(client.dashboards()) == 6


def test_the_datasets_are_generated_from_the_dbt_manifest(platform, tmp_path):
    settings, *_ = platform
    out = tmp_path / "bundle"
    names = bundle.write_datasets(settings.home / "dbt" / "target" / "manifest.json", out)
    assert len(names) == 20
    for name in names:
        generated = bundle.dataset_path(out, name).read_text()
        assert generated == bundle.dataset_path(bundle.BUNDLE, name).read_text(), name
    mrr = yaml.safe_load(bundle.dataset_path(out, "mrr_monthly").read_text())
    described = {c["column_name"]: c["description"] for c in mrr["columns"]}
    assert described["arr"] == "Annual recurring revenue: 12 x MRR."


def test_every_chart_returns_rows_without_error(platform):
    settings, url, *_ = platform
    client = _admin(settings, url)
    failures, counts = [], {}
    for chart in client.charts():
        resp = client.chart_data(chart["id"])
        if resp.status_code != 200:
            failures.append((chart["slice_name"], resp.status_code, resp.text[:200]))
            continue
        result = resp.json()["result"][0]
        counts[chart["slice_name"]] = result["rowcount"]
        if result.get("error") or not result["rowcount"]:
            failures.append((chart["slice_name"], result.get("error"), result["rowcount"]))
    assert not failures, failures
    assert len(counts) == 27


def test_every_dashboard_renders_in_chromium_with_its_charts_drawn(platform):
    settings, url, *_ = platform
    dashboards = {
        yaml.safe_load(p.read_text())["slug"]: yaml.safe_load(p.read_text())
        for p in (bundle.BUNDLE / "dashboards").glob("*.yaml")
    }
    out = settings.home / "superset" / "screenshots"
    password = (settings.home / "superset" / "admin_password").read_text()
    proc = subprocess.run(
        [
            str(service.VENV / "bin" / "python"),
            "-m",
            "folio.superset.screenshots",
            url,
            "admin",
            str(out),
            *sorted(dashboards),
        ],
        input=password,
        capture_output=True,
        text=True,
        env=service.environment(settings),
        cwd=REPO,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    report = {d["slug"]: d for d in json.loads(proc.stdout)}
    assert set(report) == set(dashboards)
    for slug, dash in dashboards.items():
        charts = [
            n for n in dash["position"].values() if isinstance(n, dict) and n.get("type") == "CHART"
        ]
        got = report[slug]
        assert got["charts"] == got["drawn"] == len(charts), got
        assert got["errors"] == [], got
        assert Path(got["screenshot"]).stat().st_size > 20_000
        assert Path(got["screenshot"]).parent == out


def _sql(client: Client, query: str) -> tuple[int, dict]:
    database = client.get("/api/v1/database/", q={"columns": ["id", "database_name"]}).json()
    [db_id] = [d["id"] for d in database["result"] if d["database_name"] == bundle.DATABASE_NAME]
    resp = client.sql(db_id, query)
    return resp.status_code, resp.json()


def test_sql_lab_reads_the_marts_and_refuses_writes_and_files(platform):
    settings, url, *_ = platform
    analyst = Client(url, "analyst", PASSWORDS["analyst"]).login()
    status, body = _sql(analyst, "select count(*) as n from marts.dim_accounts")
    assert status == 200 and body["data"][0]["n"] == 60, body
    refused = {
        "insert into marts.dim_accounts (account_id) values (1)": "DML",
        "delete from marts.dim_accounts": "DML",
        "drop table marts.dim_accounts": "DML",
        "create table marts.x as select 1 as a": "DML",
        "select * from read_csv('/etc/passwd')": "file system operations are disabled",
        "attach '/tmp/other.duckdb' as other": "",
        "set enable_external_access = true": "",
    }
    for query, why in refused.items():
        status, body = _sql(analyst, query)
        assert status >= 400, (query, status, body)
        assert why in json.dumps(body), (query, body)
    # the served file is unchanged
    assert _served_marts(settings)["dim_accounts"] == 60


def test_no_default_credentials_and_each_role_stays_in_its_lane(platform):
    settings, url, *_ = platform
    for user, password in (("admin", "admin"), ("admin", "general"), ("analyst", "analyst")):
        resp = requests.post(
            f"{url}/api/v1/security/login",
            json={"username": user, "password": password, "provider": "db"},
            timeout=30,
        )
        assert resp.status_code == 401, (user, resp.status_code)
    admin = _admin(settings, url)
    assert admin.get("/api/v1/security/roles/").status_code == 200  # the endpoint exists
    analyst = Client(url, "analyst", PASSWORDS["analyst"]).login()
    for path in ("/api/v1/security/roles/", "/api/v1/security/users/", "/api/v1/log/"):
        assert analyst.get(path).status_code in (401, 403), path
    viewer = Client(url, "viewer", PASSWORDS["viewer"]).login()
    dashboards = viewer.dashboards()
    assert len(dashboards) == 6
    chart = viewer.charts()[0]
    assert viewer.chart_data(chart["id"]).status_code == 200
    status, body = _sql(viewer, "select 1")
    assert status in (401, 403), (status, body)


def test_a_missing_served_file_says_no_data_published_yet(platform):
    settings, url, *_ = platform
    served = settings.warehouse / "folio.duckdb"
    aside = served.with_name("aside.duckdb")
    os.replace(served, aside)
    try:
        client = _admin(settings, url)
        chart = client.charts()[0]
        resp = client.chart_data(chart["id"])
        assert "No data published yet" in resp.text, resp.text[:500]
        assert resp.status_code == 404
        # SQL Lab says the same (its own status for any failed query stays 500)
        status, body = _sql(client, "select 1")
        assert "No data published yet" in json.dumps(body), (status, body)
    finally:
        os.replace(aside, served)
    assert client.chart_data(chart["id"]).status_code == 200


def test_chart_requests_across_two_publishes_never_fail(platform):
    """300 chart data requests while the marts are published twice: zero errors."""
    import threading

    from folio.warehouse.publish import publish

    settings, url, *_ = platform
    client = _admin(settings, url)
    charts = [c["id"] for c in client.charts()]
    errors, done = [], []

    def hammer() -> None:
        for i in range(300):
            chart = charts[i % len(charts)]
            try:
                resp = client.chart_data(chart)
                result = resp.json()["result"][0] if resp.status_code == 200 else {}
                if resp.status_code != 200 or result.get("error"):
                    errors.append((chart, resp.status_code, resp.text[:200]))
            except Exception as exc:
                errors.append((chart, type(exc).__name__, str(exc)[:200]))
            done.append(i)

    window = Window(dt.date.fromisoformat(START), dt.date.fromisoformat(END))
    worker = threading.Thread(target=hammer)
    worker.start()
    published = []
    while worker.is_alive() and len(published) < 2:
        if len(done) >= 60 * (len(published) + 1):
            published.append(publish(settings, f"under-load-{len(published)}", window).run_id)
        worker.join(0.05)
    worker.join()
    assert len(done) == 300 and published == ["under-load-0", "under-load-1"]
    assert errors == []
    with duckdb.connect(str(settings.warehouse / "folio.duckdb"), read_only=True) as con:
        assert con.execute("select run_id from meta.publication").fetchall() == [("under-load-1",)]
