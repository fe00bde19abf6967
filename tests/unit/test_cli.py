"""Bad input: one clear error line and a non-zero exit, never a traceback."""

from __future__ import annotations

import subprocess
import sys

import pytest
from conftest import REPO

FOLIO = [sys.executable, "-m", "folio.cli"]


def folio(*args, env=None):
    return subprocess.run(
        [*FOLIO, *args], capture_output=True, text=True, env=env, cwd=REPO, timeout=120
    )


@pytest.mark.parametrize(
    ("args", "needle", "code"),
    [
        (["run", "--bogus"], "No such option: --bogus", 2),
        (["run", "--date", "2026-13-01"], "bad --date '2026-13-01'", 1),
        (["run", "--date", "2026-01-01", "--start", "2026-01-01"], "give one of", 1),
        (["run", "--start", "2026-02-01", "--end", "2026-01-01"], "before it starts", 1),
        (["run", "--date", "2999-01-01"], "is not over yet", 1),
        (["simulate", "--end", "not-a-date"], "bad --end", 1),
        (["simulate", "--accounts", "0"], "--accounts must be at least 1", 1),
        (["nonsense"], "No such command", 2),
        (["dbt"], "give dbt a command", 1),
    ],
)
def test_bad_input_is_one_line(args, needle, code, folio_env):
    _, env = folio_env
    proc = folio(*args, env=env)
    assert proc.returncode == code, proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout
    lines = [x for x in proc.stderr.splitlines() if x.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), proc.stderr
    assert needle in lines[0]


def test_unreachable_database_url(folio_env):
    _, env = folio_env
    env = {**env, "FOLIO_APP_DB_URL": "postgresql+psycopg://u:secret@127.0.0.1:1/none"}
    proc = folio(
        "simulate", "--accounts", "5", "--start", "2026-01-01", "--end", "2026-01-02", env=env
    )
    assert proc.returncode == 1
    lines = [x for x in proc.stderr.splitlines() if x.strip()]
    assert len(lines) == 1 and "cannot reach the app database" in lines[0]
    assert "secret" not in proc.stderr  # the password is redacted


def test_unwritable_home(tmp_path, folio_env):
    _, env = folio_env
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    proc = folio("status", env={**env, "FOLIO_HOME": str(blocker / "home")})
    assert proc.returncode == 1
    assert proc.stderr.strip().startswith("error: FOLIO_HOME")
    assert "not writable" in proc.stderr and "Traceback" not in proc.stderr


def test_bad_setting_value(folio_env):
    _, env = folio_env
    proc = folio("status", env={**env, "FOLIO_SIM_ACCOUNTS": "lots"})
    assert proc.returncode == 1
    assert proc.stderr.strip().startswith("error: bad setting FOLIO_SIM_ACCOUNTS")


def test_help_on_every_command():
    for cmd in ([], ["simulate"], ["run"], ["status"]):
        proc = folio(*cmd, "--help")
        assert proc.returncode == 0 and "Usage: folio" in proc.stdout


def test_quality_lint_passes_on_the_repo_and_docs_without_a_run_is_one_line(folio_env):
    _, env = folio_env
    proc = folio("quality", "lint", env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "every checkpoint and suite is valid" in proc.stdout
    proc = folio("docs", "--port", "0", env=env)
    assert proc.returncode == 1
    assert (
        proc.stderr.startswith("error: no docs under ") and "`folio run` builds them" in proc.stderr
    )
