"""Superset as a service of the platform: provisioning calls and the web server's process.

Superset lives in its own environment (``.venv-superset``): this module, on the pipeline's
side, only builds its environment variables and runs its programs. The web server is
gunicorn bound to 127.0.0.1, a background process with its pid file and log under
``FOLIO_HOME/superset``.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

from folio.config import REPO_ROOT, Settings
from folio.core import process
from folio.core.errors import FolioError
from folio.superset import bundle

VENV = REPO_ROOT / ".venv-superset"


def home(settings: Settings) -> Path:
    return settings.paths.superset


def environment(settings: Settings) -> dict[str, str]:
    env = {
        **os.environ,
        "FOLIO_HOME": str(settings.home),
        "SUPERSET_HOME": str(home(settings)),
        "SUPERSET_CONFIG_PATH": str(REPO_ROOT / "superset" / "superset_config.py"),
        "FLASK_APP": "superset",
        "PYTHONPATH": str(REPO_ROOT),
        "GX_ANALYTICS_ENABLED": "False",
    }
    if settings.superset_db_url:
        env["FOLIO_SUPERSET_DB_URL"] = settings.superset_db_url
    return env


def _python() -> str:
    exe = VENV / "bin" / "python"
    if not exe.exists():
        raise FolioError(f"Superset's environment is missing ({VENV}): run `make setup`")
    return str(exe)


def provision(settings: Settings, *args: str, stdin: str | None = None, timeout: int = 600) -> str:
    """Run ``folio.superset.provision`` in Superset's environment; its YAML report."""
    home(settings).mkdir(parents=True, exist_ok=True)
    proc = subprocess.run(
        [_python(), "-m", "folio.superset.provision", *args],
        env=environment(settings),
        cwd=REPO_ROOT,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    log = home(settings) / "provision.log"
    with log.open("a") as fh:
        fh.write(proc.stderr)
    if proc.returncode != 0:
        tail = "\n".join(proc.stderr.strip().splitlines()[-12:])
        raise FolioError(f"superset provisioning ({' '.join(args[:1])}) failed:\n{tail}")
    marker = "--- folio.superset.provision report ---\n"
    if marker not in proc.stdout:
        raise FolioError(f"superset provisioning ({' '.join(args[:1])}) printed no report")
    return proc.stdout.split(marker, 1)[1]


def init(settings: Settings) -> str:
    """Migrate, create the admin and the roles, import the bundle: idempotent."""
    return provision(settings, "init", str(bundle.BUNDLE))


def export(settings: Settings, out: Path) -> str:
    return provision(settings, "export", str(out))


def add_user(settings: Settings, name: str, role: str, password: str) -> None:
    provision(settings, "add-user", name, role, stdin=password + "\n")


@dataclass
class Server:
    url: str
    pid: int
    log: Path


def _pidfile(settings: Settings) -> Path:
    return home(settings) / "gunicorn.pid"


def running_pid(settings: Settings) -> int | None:
    return process.running_pid(_pidfile(settings))


def start(settings: Settings, port: int, workers: int = 2, wait_s: float = 120) -> Server:
    """gunicorn on 127.0.0.1:port in the background; returns once /health answers."""
    if (pid := running_pid(settings)) is not None:
        raise FolioError(f"Superset already runs (pid {pid}); `folio down` stops it")
    log = home(settings) / "gunicorn.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    cmd = [
        str(VENV / "bin" / "gunicorn"),
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--worker-class",
        "gthread",
        "--threads",
        "4",
        "--timeout",
        "120",
        "--pid",
        str(_pidfile(settings)),
        "--access-logfile",
        str(home(settings) / "access.log"),
        "superset.app:create_app()",
    ]
    with log.open("ab") as out:
        proc = subprocess.Popen(
            cmd,
            env=environment(settings),
            cwd=home(settings),
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        process.wait_http(f"{url}/health", proc.pid, log, "Superset's web server", wait_s)
    except FolioError:
        stop(settings)
        raise
    return Server(url, proc.pid, log)


def stop(settings: Settings, wait_s: float = 30) -> bool:
    """Stop the web server (its whole process group); False when none was running."""
    pid = running_pid(settings)
    if pid is None:
        return False
    process.stop_group(pid, wait_s)
    _pidfile(settings).unlink(missing_ok=True)
    return True
