"""docker-compose.yml and the Dockerfile, checked without a Docker engine (none runs here).

The stack's structure: the services, one image built from the repo's Dockerfile out of the
locked requirement sets, a healthcheck on every service, FOLIO_HOME on one shared volume,
published ports on the host's loopback only, and no secret written in the files.
"""

from __future__ import annotations

import re

import yaml

from folio.config import REPO_ROOT

COMPOSE = yaml.safe_load((REPO_ROOT / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]
FOLIO_SERVICES = {
    "airflow-api-server",
    "airflow-scheduler",
    "airflow-dag-processor",
    "airflow-triggerer",
    "superset",
    "spark-master",
    "spark-worker",
}
SECRET = re.compile(r"PASSWORD|SECRET|SALT|TOKEN|KEY", re.I)
REFERENCE = re.compile(r"^\$\{[A-Z_]+(:\?[^}]*)?\}$")
URL_CREDENTIALS = re.compile(r"://[^:/@]+:([^@]+)@")


def test_the_platform_services_are_all_there():
    assert set(SERVICES) == FOLIO_SERVICES | {"postgres"}
    commands = {name: " ".join(SERVICES[name]["command"]) for name in FOLIO_SERVICES}
    assert "airflow api-server" in commands["airflow-api-server"]
    for part in ("scheduler", "dag-processor", "triggerer"):
        assert f"airflow {part}" in commands[f"airflow-{part}"]
    assert "gunicorn" in commands["superset"] and "folio superset init" in commands["superset"]
    assert "deploy.master.Master" in commands["spark-master"]
    assert "deploy.worker.Worker" in commands["spark-worker"]
    assert "spark://spark-master:7077" in commands["spark-worker"]
    env = SERVICES["airflow-scheduler"]["environment"]
    assert env["AIRFLOW__CORE__EXECUTOR"] == "LocalExecutor"
    assert env["FOLIO_SPARK_MASTER"] == "spark://spark-master:7077"
    for name in ("FOLIO_AIRFLOW_DB_URL", "FOLIO_SUPERSET_DB_URL", "FOLIO_APP_DB_URL"):
        assert "@postgres:5432/" in env[name], name
    # the locks hold psycopg 3, not asyncpg: Airflow's async engine must be told to use it
    sync = env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"]
    assert sync.startswith("postgresql+psycopg://")
    assert env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN_ASYNC"] == sync
    locks = (REPO_ROOT / "requirements" / "pipeline.txt").read_text()
    assert re.search(r"^psycopg==", locks, re.M) and not re.search(r"^asyncpg==", locks, re.M)


def test_every_service_has_a_healthcheck_and_waits_for_what_it_needs():
    for name, service in SERVICES.items():
        check = service.get("healthcheck", {}).get("test")
        assert check and check[0] in ("CMD", "CMD-SHELL"), name
    for name in ("airflow-scheduler", "airflow-dag-processor", "airflow-triggerer"):
        needs = SERVICES[name]["depends_on"]
        assert needs["airflow-api-server"]["condition"] == "service_healthy", name
    assert SERVICES["superset"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert SERVICES["spark-worker"]["depends_on"]["spark-master"]["condition"] == "service_healthy"


def test_one_image_from_the_repo_built_from_the_locked_requirements():
    images = {(SERVICES[n]["build"], SERVICES[n]["image"]) for n in FOLIO_SERVICES}
    assert images == {(".", "folio-platform:latest")}
    dockerfile = (REPO_ROOT / "Dockerfile").read_text()
    assert "COPY --chown=folio:folio requirements/ requirements/" in dockerfile
    assert "RUN bash scripts/setup.sh all" in dockerfile
    # nothing is installed beside the locks
    assert not re.search(r"pip3? install|uv pip install", dockerfile)
    setup = (REPO_ROOT / "scripts" / "setup.sh").read_text()
    assert "setup_venv .venv requirements/pipeline.txt" in setup
    assert "setup_venv .venv-superset requirements/superset.txt" in setup
    assert 'uv" pip sync' in setup or "uv pip sync" in setup
    assert "USER folio" in dockerfile  # not root


def test_folio_home_is_one_shared_volume():
    assert "folio-home" in COMPOSE["volumes"]
    for name in FOLIO_SERVICES:
        assert "folio-home:/data" in SERVICES[name]["volumes"], name
        assert SERVICES[name]["environment"]["FOLIO_HOME"] == "/data", name


def test_no_secret_is_written_in_the_files_and_every_one_is_documented():
    used = set()
    for name, service in SERVICES.items():
        for key, value in (service.get("environment") or {}).items():
            value = str(value)
            used |= set(re.findall(r"\$\{([A-Z_]+)", value))
            if SECRET.search(key) and not key.endswith(("_URL", "_PATH")):
                assert REFERENCE.match(value), f"{name}: {key} is written in the file"
            for password in URL_CREDENTIALS.findall(value):
                assert REFERENCE.match(password), f"{name}: a password inside {key}"
    example = (REPO_ROOT / ".env.example").read_text()
    for var in used:
        assert re.search(rf"^{var}=", example, re.M), f"{var} is not in .env.example"
    init = (REPO_ROOT / "deploy" / "postgres" / "init-databases.sh").read_text()
    assert "PASSWORD '" not in init.upper().replace(":'PASSWORD'", "")


def test_published_ports_are_on_the_hosts_loopback_only():
    published = [p for s in SERVICES.values() for p in s.get("ports", [])]
    assert published, "the UIs are published"
    assert all(str(p).startswith("127.0.0.1:") for p in published), published
