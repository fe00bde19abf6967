"""`folio up` starts the platform live on 127.0.0.1 and `folio down` stops all of it.

A fresh FOLIO_HOME with nothing published yet: `folio up` warns about it, starts Airflow's
four services and Superset in the background with pid files and logs, unpauses the nightly
DAG (the scheduler then creates its scheduled run), and listens on loopback only.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from conftest import REPO

pytestmark = pytest.mark.slow
FOLIO = str(Path(sys.executable).with_name("folio"))
SERVICES = ("airflow-api-server", "airflow-scheduler", "airflow-dag-processor", "airflow-triggerer")


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _group(pgid: int) -> set[int]:
    """Every live process of a process group (a service and what it forked)."""
    pids = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            pids.add(int(entry.name))
    return pids


def _listening(pids: set[int]) -> set[tuple[str, int]]:
    """(address, port) of every TCP socket in LISTEN state owned by these processes."""
    inodes = set()
    for pid in pids:
        try:
            for fd in Path(f"/proc/{pid}/fd").iterdir():
                target = os.readlink(fd)
                if target.startswith("socket:["):
                    inodes.add(target[8:-1])
        except OSError:
            continue
    found = set()
    for table, v6 in (("/proc/net/tcp", False), ("/proc/net/tcp6", True)):
        for line in Path(table).read_text().splitlines()[1:]:
            cols = line.split()
            if cols[3] != "0A" or cols[9] not in inodes:  # 0A = LISTEN
                continue
            addr, port = cols[1].split(":")
            if v6:
                ip = "::1" if addr == "0" * 24 + "01000000" else f"v6:{addr}"
            else:
                ip = socket.inet_ntoa(bytes.fromhex(addr)[::-1])
            found.add((ip, int(port, 16)))
    return found


def test_folio_up_runs_the_platform_on_loopback_and_down_stops_it(tmp_path):
    home = tmp_path / "home"
    env = {**os.environ, "FOLIO_HOME": str(home), "AIRFLOW__CORE__PARALLELISM": "2"}
    af_port, ss_port = _port(), _port()
    proc = subprocess.run(
        [FOLIO, "up", "--airflow-port", str(af_port), "--superset-port", str(ss_port)],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        timeout=900,
    )
    try:
        assert proc.returncode == 0, proc.stdout + proc.stderr
        out = proc.stdout
        assert "warning: no data published yet" in out
        assert f"http://127.0.0.1:{af_port}" in out and f"http://127.0.0.1:{ss_port}" in out
        creds = home / "airflow" / "simple_auth_manager_passwords.json.generated"
        assert str(creds) in out and str(home / "superset" / "admin_password") in out

        pids = {name: int((home / "run" / f"{name}.pid").read_text()) for name in SERVICES}
        pids["superset"] = int((home / "superset" / "gunicorn.pid").read_text())
        logs = [home / "logs" / f"{name}.log" for name in SERVICES]
        assert all(log.stat().st_size > 0 for log in [*logs, home / "superset" / "gunicorn.log"])
        listening = set()
        for pgid in pids.values():
            listening |= _listening(_group(pgid))
        assert ("127.0.0.1", af_port) in listening and ("127.0.0.1", ss_port) in listening
        assert {ip for ip, _ in listening} == {"127.0.0.1"}, listening

        # the nightly DAG is unpaused: the scheduler creates its scheduled run by itself
        password = json.loads(creds.read_text())["admin"]
        token = requests.post(
            f"http://127.0.0.1:{af_port}/auth/token",
            json={"username": "admin", "password": password},
            timeout=30,
        ).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        dag = requests.get(
            f"http://127.0.0.1:{af_port}/api/v2/dags/folio_nightly", headers=headers, timeout=30
        ).json()
        assert dag["is_paused"] is False
        runs: list = []
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline and not runs:
            runs = requests.get(
                f"http://127.0.0.1:{af_port}/api/v2/dags/folio_nightly/dagRuns",
                headers=headers,
                timeout=30,
            ).json()["dag_runs"]
            time.sleep(2)
        assert runs and runs[0]["run_type"] == "scheduled", runs
        assert requests.get(f"http://127.0.0.1:{ss_port}/health", timeout=30).status_code == 200
    finally:
        down = subprocess.run(
            [FOLIO, "down"], capture_output=True, text=True, env=env, cwd=REPO, timeout=300
        )
    assert down.returncode == 0, down.stderr
    assert "superset" in down.stdout and "airflow-scheduler" in down.stdout
    for pgid in pids.values():
        assert not _group(pgid), f"process group {pgid} still runs"
    assert not list((home / "run").glob("*.pid"))
    again = subprocess.run([FOLIO, "down"], capture_output=True, text=True, env=env, cwd=REPO)
    assert "nothing was running" in again.stdout
