"""A load killed with SIGKILL mid-write never leaves a half-written partition; a rerun heals it.

The loader runs in a child process whose partition writer writes half of one file and then
SIGKILLs its own process (as `kill -9` or the OOM killer would, no cleanup runs). Then:
every partition a reader can see is complete, a rerun gives exactly the clean run's rows.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap

import pyarrow.parquet as pq
import pytest
from conftest import REPO, TINY

from folio.config import Settings
from folio.core.window import Window
from folio.ingest.app_db import extract_app_db
from folio.ingest.stripe.load import load_stripe

pytestmark = pytest.mark.slow  # tens of seconds: not in `make check`

STAGES = {"stripe": load_stripe, "app_db": extract_app_db}

CHILD = textwrap.dedent(
    """
    import io, os, signal, sys
    import pyarrow.parquet as pq
    from folio.config import Settings
    from folio.core import lake
    from folio.core.window import Window, parse_day

    stage, home, start, end, kill_at = sys.argv[1:6]
    calls = 0
    write_file = lake._write_file

    def dying(path, table):
        global calls
        calls += 1
        if calls == int(kill_at):
            buf = io.BytesIO()
            pq.write_table(table, buf, compression="zstd")
            with open(path, "wb") as fh:
                fh.write(buf.getvalue()[: buf.tell() // 2])
                fh.flush()
            os.kill(os.getpid(), signal.SIGKILL)
        write_file(path, table)

    lake._write_file = dying
    if stage == "stripe":
        from folio.ingest.stripe.load import load_stripe as run
    else:
        from folio.ingest.app_db import extract_app_db as run
    run(Settings(home=home), Window(parse_day(start), parse_day(end)), "killed")
    print("finished without being killed", calls)
    """
)


def _home(tmp_path, landing, name):
    home = tmp_path / name
    home.mkdir()
    (home / "landing").symlink_to(landing)
    return home


def _snapshot(home) -> dict[str, list[dict]]:
    """Every partition a reader sees (``*.parquet``), read in full."""
    lake = home / "lake"
    return {
        str(f.relative_to(lake)): pq.read_table(f).to_pylist()
        for f in sorted(lake.rglob("*.parquet"))
    }


def _run_killed(stage, home, kill_at):
    return subprocess.run(
        [
            sys.executable,
            "-c",
            CHILD,
            stage,
            str(home),
            str(TINY.start),
            str(TINY.end),
            str(kill_at),
        ],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=300,
    )


@pytest.mark.parametrize(("stage", "kill_at"), [("stripe", 137), ("app_db", 40)])
def test_sigkill_mid_write_then_rerun_equals_a_clean_run(tiny_landing, tmp_path, stage, kill_at):
    landing, _ = tiny_landing
    window = Window(TINY.start, TINY.end)
    clean = _home(tmp_path, landing, "clean")
    STAGES[stage](Settings(home=clean), window, "clean")
    expected = _snapshot(clean)
    assert len(expected) > 100

    # 1. killed during the first load of an empty lake
    home = _home(tmp_path, landing, "crashed")
    proc = _run_killed(stage, home, kill_at)
    assert proc.returncode == -signal.SIGKILL, proc.stdout + proc.stderr
    # the half-written file (and any other in flight: partitions are written side by side),
    # invisible to readers
    leftovers = list((home / "lake").rglob(".part-*.tmp"))
    assert 1 <= len(leftovers) <= 4
    assert max(f.stat().st_size for f in leftovers) > 0
    seen = _snapshot(home)  # every visible partition reads back whole
    assert 0 < len(seen) < len(expected)
    assert all(seen[k] == expected[k] for k in seen)
    STAGES[stage](Settings(home=home), window, "rerun")
    assert _snapshot(home) == expected
    assert not list((home / "lake").rglob(".part-*.tmp"))

    # 2. killed while rewriting a complete lake: readers keep seeing the old partitions
    proc = _run_killed(stage, home, kill_at)
    assert proc.returncode == -signal.SIGKILL, proc.stdout + proc.stderr
    assert 1 <= len(list((home / "lake").rglob(".part-*.tmp"))) <= 4
    assert _snapshot(home) == expected
    STAGES[stage](Settings(home=home), window, "rerun2")
    assert _snapshot(home) == expected
