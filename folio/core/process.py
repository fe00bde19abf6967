"""Processes the platform starts and stops: pid files, liveness, HTTP readiness, groups."""

from __future__ import annotations

import contextlib
import os
import signal
import time
import urllib.error
import urllib.request
from pathlib import Path

from folio.core.errors import FolioError


def running_pid(pidfile: Path) -> int | None:
    """The pid in ``pidfile``, if that process still runs."""
    try:
        pid = int(pidfile.read_text().strip())
    except (FileNotFoundError, ValueError):
        return None
    return pid if alive(pid) else None


def wait_http(url: str, pid: int, log: Path, what: str, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not alive(pid):  # a child that exited stays a zombie: os.kill alone says "alive"
            tail = "\n".join(log.read_text(errors="replace").splitlines()[-15:])
            raise FolioError(f"{what} exited while starting:\n{tail}")
        try:
            with urllib.request.urlopen(url, timeout=3) as resp:
                if resp.status < 500:
                    return
        except urllib.error.HTTPError as exc:
            if exc.code < 500:
                return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(1)
    raise FolioError(f"{what} did not answer on {url} within {timeout:.0f} s; see {log}")


def stop_group(pid: int, wait_s: float = 30) -> None:
    """SIGTERM to the process group ``pid`` leads; SIGKILL if it still runs after wait_s."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGTERM)
    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline and alive(pid):
        time.sleep(0.2)
    if alive(pid):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGKILL)


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie (exited, not yet reaped by its parent) no longer runs
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except OSError:
        return False
    return state != "Z"
