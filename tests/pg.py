"""A real PostgreSQL server for tests, started on 127.0.0.1 in a temporary folder.

One server serves the whole test run (the `postgres` fixture in tests/conftest.py); each
test takes a fresh database of its own on it (`PostgresServer.database`).

Uses Debian's postgresql package (`.ci/run` installs it when missing). initdb/pg_ctl
refuse to run as root, so as root they run as the `postgres` user.
"""

from __future__ import annotations

import glob
import os
import secrets
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg
from ports import free_port


def _bindir() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found:
        raise RuntimeError(
            "PostgreSQL server binaries not found: install Debian's postgresql "
            "package (.ci/run does)"
        )
    return Path(found[-1]).parent


@dataclass(frozen=True)
class PostgresServer:
    port: int
    password: str

    def database(self, name: str) -> str:
        """Create the database ``name``; its SQLAlchemy URL (psycopg 3, with the password)."""
        admin = f"postgresql://postgres:{self.password}@127.0.0.1:{self.port}/postgres"
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f"create database {name}")
        return f"postgresql+psycopg://postgres:{self.password}@127.0.0.1:{self.port}/{name}"


@contextmanager
def postgres_server() -> Iterator[PostgresServer]:
    """Yield a private server; stop and remove it after.

    Connections over TCP need the password (scram-sha-256), as on a real server; the URL
    carries it. The server's folder is a fresh one under the system temp dir (pytest's are
    private to root, where the postgres user cannot reach).
    """
    bindir = _bindir()
    root = Path(tempfile.mkdtemp(prefix="folio-pg-"))
    data, sock = root / "pgdata", root / "sock"
    sock.mkdir(exist_ok=True)
    as_user: list[str] = []
    if os.geteuid() == 0:
        shutil.chown(root, "postgres")
        shutil.chown(sock, "postgres")
        os.chmod(root, 0o755)
        as_user = ["runuser", "-u", "postgres", "--"]
    port = free_port()
    password = secrets.token_urlsafe(16)
    pwfile = root / "pw"
    pwfile.write_text(password + "\n")
    if as_user:
        shutil.chown(pwfile, "postgres")
    env = dict(os.environ, PGPASSWORD=password)

    def run(*cmd: str) -> None:
        subprocess.run([*as_user, *cmd], check=True, capture_output=True, text=True, env=env)

    run(
        str(bindir / "initdb"),
        "-D",
        str(data),
        "--auth-local=trust",
        "--auth-host=scram-sha-256",
        f"--pwfile={pwfile}",
        "-U",
        "postgres",
        "-E",
        "UTF8",
    )
    pwfile.unlink()
    run(
        str(bindir / "pg_ctl"),
        "-D",
        str(data),
        "-l",
        str(root / "server.log"),
        "-w",
        "-o",
        f"-c listen_addresses=127.0.0.1 -p {port} -k {sock} -c fsync=off",
        "start",
    )
    try:
        yield PostgresServer(port, password)
    finally:
        run(str(bindir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop")
        shutil.rmtree(root, ignore_errors=True)
