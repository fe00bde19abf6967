"""A real PostgreSQL server for tests, started on 127.0.0.1 in a temporary folder.

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
from contextlib import contextmanager
from pathlib import Path

from ports import free_port


def _bindir() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found:
        raise RuntimeError(
            "PostgreSQL server binaries not found: install Debian's postgresql "
            "package (.ci/run does)"
        )
    return Path(found[-1]).parent


@contextmanager
def postgres_server():
    """Yield a SQLAlchemy URL of a fresh database on a private server; stop and remove it after.

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
        run(
            str(bindir / "createdb"),
            "-h",
            "127.0.0.1",
            "-p",
            str(port),
            "-U",
            "postgres",
            "folio_app",
        )
        yield f"postgresql+psycopg://postgres:{password}@127.0.0.1:{port}/folio_app"
    finally:
        run(str(bindir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop")
        shutil.rmtree(root, ignore_errors=True)
