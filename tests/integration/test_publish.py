"""Write-audit-publish: the served file is always a complete snapshot, never locked or torn."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time

import duckdb
import pytest
from conftest import REPO

from folio.config import Settings
from folio.core.errors import FolioError
from folio.core.window import Window
from folio.warehouse.publish import (
    current,
    prune,
    publish,
    rollback,
    served_path,
    snapshots,
    snapshots_dir,
)

DAY = dt.date(2026, 5, 1)


def _build(settings: Settings, rows: int, tag: str) -> None:
    """A build file as dbt leaves it: marts plus staging (which must never be published)."""
    settings.warehouse.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(settings.build_db)) as con:
        for schema in ("marts", "staging"):
            con.execute(f"create schema if not exists {schema}")
        con.execute(
            "create or replace table marts.mrr_monthly as select range as month_index,"
            f" range * 10.0 as mrr, '{tag}' as tag from range({rows})"
        )
        con.execute(
            "create or replace table marts.dim_accounts as select range as account_id"
            f" from range({rows * 2})"
        )
        con.execute(
            "create or replace table staging.stg_app_db__accounts as"
            " select 'someone@example.com' as email"
        )


@pytest.fixture
def settings(tmp_path):
    s = Settings(home=tmp_path / "home", keep_snapshots=3)
    _build(s, 5, "first")
    return s


def _served_tag(settings: Settings) -> str:
    with duckdb.connect(str(served_path(settings)), read_only=True) as con:
        return con.execute("select distinct tag from marts.mrr_monthly").fetchall()[0][0]


def test_publish_serves_a_verified_snapshot_of_the_marts_only(settings):
    pub = publish(settings, "scheduled__2026-05-02T02:00:00+00:00", Window(DAY, DAY))
    served = served_path(settings)
    assert pub.run_id == "scheduled__2026-05-02T02:00:00+00:00"
    assert (pub.interval_start, pub.interval_end) == (DAY, DAY)
    assert pub.row_counts == {"dim_accounts": 10, "mrr_monthly": 5}
    assert pub.code_version != ""
    assert os.path.samefile(served, pub.path)  # a hard link to the snapshot
    with duckdb.connect(str(served), read_only=True) as con:
        schemas = {
            s
            for (s,) in con.execute(
                "select schema_name from information_schema.schemata"
                " where catalog_name = current_database()"
            ).fetchall()
        }
    assert {"marts", "meta"} <= schemas and "staging" not in schemas
    assert not list(settings.warehouse.rglob("*.wal"))
    assert not list(snapshots_dir(settings).glob(".*"))


def test_a_reader_keeps_its_snapshot_while_a_new_one_is_served(settings):
    publish(settings, "run-1", Window(DAY, DAY))
    reader = duckdb.connect(str(served_path(settings)), read_only=True)
    try:
        _build(settings, 7, "second")  # a new build while the old snapshot is being read
        publish(settings, "run-2", Window(DAY, DAY))
        assert reader.execute("select count(*), min(tag) from marts.mrr_monthly").fetchall() == [
            (5, "first")
        ]
    finally:
        reader.close()
    assert _served_tag(settings) == "second"
    assert not list(settings.warehouse.rglob("*.wal"))


def test_rollback_serves_an_earlier_snapshot_and_old_ones_are_pruned(settings):
    for k in range(1, 6):
        _build(settings, k, f"build-{k}")
        publish(settings, f"run-{k}", Window(DAY, DAY))
    kept = [p.run_id for p in snapshots(settings)]
    assert kept == ["run-5", "run-4", "run-3"]  # FOLIO_KEEP_SNAPSHOTS=3, newest first
    assert rollback(settings).run_id == "run-4"
    assert _served_tag(settings) == "build-4"
    assert rollback(settings, "run-3").run_id == "run-3"
    with pytest.raises(
        FolioError, match=r"no snapshot of run 'run-1' \(kept: run-5, run-4, run-3\)"
    ):
        rollback(settings, "run-1")
    # pruning never removes the served snapshot, however old (here: keep 1, serving run-3)
    kept_one = Settings(home=settings.home, keep_snapshots=1)
    prune(kept_one)
    assert [p.run_id for p in snapshots(kept_one)] == ["run-5", "run-3"]
    assert current(kept_one).run_id == "run-3"


def test_nothing_to_publish_is_a_clear_error(tmp_path):
    s = Settings(home=tmp_path / "empty")
    with pytest.raises(FolioError, match="no build file to publish"):
        publish(s, "run-x", Window(DAY, DAY))


PUBLISH_LOOP = """
import sys, datetime as dt
from folio.config import Settings
from folio.core.window import Window
from folio.warehouse.publish import publish
s = Settings(home=sys.argv[1])
day = dt.date(2026, 5, 1)
for k in range(1000):
    publish(s, f"killed-{k}", Window(day, day))
"""


@pytest.mark.parametrize("delay", [0.05, 0.2, 0.4, 0.7, 1.1, 1.6])
def test_sigkill_during_publish_leaves_a_complete_served_file(settings, delay):
    publish(settings, "before", Window(DAY, DAY))
    _build(settings, 20_000, "new")  # big enough that a kill lands mid-copy now and then
    proc = subprocess.Popen([sys.executable, "-c", PUBLISH_LOOP, str(settings.home)], cwd=REPO)
    time.sleep(delay)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    pub = current(settings)  # opens, and its counts match its publication record
    assert pub.run_id == "before" or pub.run_id.startswith("killed-")
    assert _served_tag(settings) == ("first" if pub.run_id == "before" else "new")
    assert not list(settings.warehouse.glob("*.wal"))
    publish(settings, "after", Window(DAY, DAY))  # the next publish clears what was left
    assert not list(snapshots_dir(settings).glob(".*"))
    assert not list(settings.warehouse.glob(".*"))
    assert current(settings).run_id == "after"


READER_LOOP = """
import sys, time, duckdb
path, n, last = sys.argv[1], int(sys.argv[2]), sys.argv[3]
errors, seen, done, deadline = 0, set(), 0, time.time() + 120
# at least n queries, and on until the last publication shows (bounded by the deadline)
while done < n or (last not in seen and time.time() < deadline):
    try:
        with duckdb.connect(path, read_only=True) as con:
            seen.add(con.execute("select min(tag) from marts.mrr_monthly").fetchall()[0][0])
            con.execute("select count(*) from marts.dim_accounts").fetchall()
        if done == 0:
            print("reading", flush=True)  # the writer publishes only once this shows
    except Exception as exc:
        errors += 1
        print("error:", exc, file=sys.stderr)
    done += 1
print(errors, done, ",".join(sorted(seen)))
"""


@pytest.mark.slow  # 20-40 s: not in `make check`
def test_500_reads_across_two_publishes_see_no_error(settings):
    publish(settings, "run-a", Window(DAY, DAY))
    reader = subprocess.Popen(
        [sys.executable, "-c", READER_LOOP, str(served_path(settings)), "500", "c"],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    # the reader has seen the first publication before the next one: on a busy machine its
    # start (Python, DuckDB) can take longer than any fixed pause
    assert reader.stdout.readline().strip() == "reading"
    for k, tag in enumerate(("b", "c")):
        time.sleep(0.3)
        _build(settings, 50 + k, tag)
        publish(settings, f"run-{tag}", Window(DAY, DAY))
    out, errors = reader.communicate(timeout=300)
    count, done, seen = out.split()
    assert int(count) == 0, errors
    assert int(done) >= 500
    assert {"first", "c"} <= set(seen.split(","))  # it read across both publishes
    assert not list(settings.warehouse.rglob("*.wal"))
