"""The Spark stage on the simulator's Segment archive: counts exact against the manifest."""

from __future__ import annotations

import datetime as dt
import gzip
import json
import sqlite3

import duckdb
import pytest
from conftest import TINY

from folio.config import Settings
from folio.core.window import Window
from folio.events.stage import sessionize_events
from folio.simulator.landing import read_manifest

pytestmark = [pytest.mark.slow, pytest.mark.spark]


def _home(tmp_path_factory, landing, name):
    home = tmp_path_factory.mktemp(name)
    (home / "landing").symlink_to(landing)
    return home


def _read(home, table):
    files = list(home.glob(f"lake/events/{table}/*/*.parquet"))
    if not files:
        return []
    rel = duckdb.sql(
        f"select * from read_parquet('{home}/lake/events/{table}/*/*.parquet',"
        " hive_partitioning = true)"
    )
    return [dict(zip(rel.columns, r, strict=True)) for r in rel.fetchall()]


@pytest.fixture(scope="module")
def history(spark, tiny_landing, tmp_path_factory):
    landing, _ = tiny_landing
    home = _home(tmp_path_factory, landing, "events")
    result = sessionize_events(Settings(home=home), Window(TINY.start, TINY.end), "history")
    return home, landing, result


def test_quarantine_is_exactly_the_manifest(history):
    home, landing, result = history
    manifest = read_manifest(landing)
    expected = {
        (d["file"], d["line"]): d["defect"]
        for d in manifest
        if d.get("source") == "segment" and d["defect"] in ("malformed_json", "missing_required")
    }
    q = duckdb.sql(
        f"select source_file, line_number, reason from read_parquet("
        f"'{home}/lake/quarantine/segment/messages/*/*.parquet')"
    ).fetchall()
    got = {(f, n): r for f, n, r in q}
    assert len(got) == len(q)  # one record per line
    assert set(got) == set(expected)
    for key, defect in expected.items():
        want = "unparseable JSON" if defect == "malformed_json" else "missing required field"
        assert got[key].startswith(want), (key, got[key])
    fields = {
        (d["file"], d["line"]): d["field"] for d in manifest if d["defect"] == "missing_required"
    }
    for key, field in fields.items():
        assert got[key] == f"missing required field {field}"
    assert result.details["quarantined"] == len(expected)


def test_duplicates_bots_and_late_events(history):
    home, landing, result = history
    manifest = read_manifest(landing)
    events = _read(home, "clean_events")
    ids = [e["message_id"] for e in events]
    assert len(ids) == len(set(ids))  # every message once
    dups = {d["message_id"] for d in manifest if d["defect"] == "duplicate_message"}
    assert result.details["duplicates"] == len(dups)
    assert dups <= set(ids)
    bots = {d["anonymous_id"] for d in manifest if d["defect"] == "bot_traffic"}
    flagged = {e["anonymous_id"] for e in events if e["is_bot"]}
    assert flagged == bots
    # a late event sits in the partition of its event day, not of its arrival
    late = {d["message_id"] for d in manifest if d["defect"] == "late_event"}
    placed = [e for e in events if e["message_id"] in late]
    assert placed and len(placed) == len(late)
    assert all(e["dt"] == e["event_at"].date() < e["arrival_date"] for e in placed)
    # clock-skewed devices: event time is the corrected one, the device's clock is not
    skewed = {
        d["anonymous_id"]: d["skew_ms"] for d in manifest if d["defect"] == "clock_skew_device"
    }
    seen = [e for e in events if e["anonymous_id"] in skewed]
    assert seen
    for e in seen:
        assert abs(e["clock_skew_seconds"] * 1000 - skewed[e["anonymous_id"]]) < 60_000


def test_ledger_adds_up_per_file(history):
    home, landing, _ = history
    with sqlite3.connect(home / "ops" / "ledger.sqlite") as conn:
        rows = conn.execute(
            "select input, lines_read, rows_written, rows_quarantined, rows_skipped"
            " from ingest_files where source = 'segment'"
        ).fetchall()
    files = {str(p.relative_to(landing)): p for p in landing.glob("segment/dt=*/*.jsonl.gz")}
    assert {r[0] for r in rows} == set(files)
    for name, read, written, quarantined, skipped in rows:
        with gzip.open(files[name], "rb") as fh:
            assert read == sum(1 for _ in fh)
        assert read == written + quarantined + skipped


def test_sessions_exist_for_app_users_and_site_visitors(history):
    home, _, result = history
    rows = result.details["rows"]
    assert rows["app_sessions"] > 100 and rows["site_sessions"] > 1000
    traffic = _read(home, "site_traffic_daily")
    assert all(t["sessions"] <= t["page_views"] for t in traffic)
    assert all(0 <= (t["bounce_rate"] or 0) <= 1 for t in traffic)


def test_each_day_is_one_file_until_it_outgrows_the_cap(
    spark, history, tiny_landing, tmp_path_factory
):
    """The lake's day partitions are one Parquet file each (a year of per-task files made
    every DuckDB read list and open ~4 files a day); a day past the cap is split, no row lost."""
    home, landing, _ = history
    for table in ("clean_events", "identities", "app_sessions", "site_sessions"):
        parts = list((home / "lake" / "events" / table).glob("dt=*"))
        assert len(parts) > 20, table
        assert [p.name for p in parts if len(list(p.glob("*.parquet"))) != 1] == [], table
    busy = (home / "lake" / "events" / "clean_events").glob("dt=*/*.parquet")
    rows, day = max(
        (duckdb.sql(f"select count(*) from '{f}'").fetchall()[0][0], f.parent.name[3:])
        for f in busy
    )
    assert rows > 250
    day = dt.date.fromisoformat(day)
    split = _home(tmp_path_factory, landing, "split")
    settings = Settings(home=split, events_lookback_days=0, spark_max_records_per_file=100)
    try:
        r = sessionize_events(settings, Window(day, day), "split")
    finally:  # the session is shared: back to the default cap for the tests after this one
        spark.conf.set(
            "spark.sql.files.maxRecordsPerFile", str(Settings().spark_max_records_per_file)
        )
    files = list((split / "lake" / "events" / "clean_events" / f"dt={day}").glob("*.parquet"))
    n = r.details["rows"]["clean_events"]
    assert n > 200 and len(files) == -(-n // 100)
    together = duckdb.sql(f"select count(*) from read_parquet({[str(f) for f in files]})")
    assert together.fetchall() == [(n,)]


def test_late_data_day_by_day(spark, tiny_landing, tmp_path_factory):
    """Runs for single days with a 1-day lookback: a message at most a day late lands in its
    true day; one later than that is counted in late_events, never lost."""
    landing, _ = tiny_landing
    home = _home(tmp_path_factory, landing, "late")
    days = [dt.date(2026, 4, 20) + dt.timedelta(days=k) for k in range(4)]
    late_out = 0
    for d in days:
        r = sessionize_events(Settings(home=home, events_lookback_days=1), Window(d, d), str(d))
        late_out += r.details["late_beyond_lookback"]
    # from the landing files: each late message's arrival day a and event day e. Read by the
    # runs: arrivals days[0]-1 .. days[-1]. Placed: a - e <= 1 and e within the first range;
    # beyond the lookback: a - e > 1.
    late_ids = {d["message_id"] for d in read_manifest(landing) if d["defect"] == "late_event"}
    first = days[0] - dt.timedelta(days=1)
    expected_in, expected_late = set(), set()
    for a in [first, *days]:
        for f in landing.glob(f"segment/dt={a}/*.jsonl.gz"):
            with gzip.open(f, "rt") as fh:
                for line in fh:
                    try:
                        m = json.loads(line)
                    except ValueError:
                        continue
                    if m.get("messageId") not in late_ids:
                        continue
                    e = dt.date.fromisoformat(m["timestamp"][:10])
                    if (a - e).days > 1:
                        expected_late.add(m["messageId"])
                    elif e >= first:
                        expected_in.add(m["messageId"])
    assert expected_in and expected_late  # the stretch has both kinds
    events = {e["message_id"]: e for e in _read(home, "clean_events")}
    assert expected_in <= set(events)
    assert all(events[m]["dt"] < events[m]["arrival_date"] for m in expected_in)
    late = {e["message_id"] for e in _read(home, "late_events")}
    assert late == expected_late
    assert late_out >= len(expected_late)


def test_a_day_without_events_is_a_recorded_zero(spark, tiny_landing, tmp_path):
    landing, _ = tiny_landing
    home = tmp_path / "home"
    home.mkdir()
    (home / "landing").symlink_to(landing)
    day = TINY.end + dt.timedelta(days=5)  # nothing was received then
    stale = home / "lake" / "events" / "clean_events" / f"dt={day}"
    stale.mkdir(parents=True)
    (stale / "part-0.parquet").write_bytes(b"left by an older run")
    r = sessionize_events(Settings(home=home, events_lookback_days=0), Window(day, day), "empty")
    assert r.rows == 0 and r.details["files"] == 0
    assert r.details["empty_days"] == [str(day)]
    assert not stale.exists()  # the day's partition now holds nothing


def test_java_missing_is_one_clear_error(monkeypatch, tmp_path):
    from folio.core.errors import FolioError
    from folio.events.spark import check_java

    monkeypatch.setenv("JAVA_HOME", str(tmp_path / "no-jdk"))
    with pytest.raises(FolioError, match=r"JAVA_HOME=.*no-jdk; set JAVA_HOME to a JDK"):
        check_java()


def test_unreachable_master_is_one_clear_error(tmp_path):
    import socket

    from folio.core.errors import FolioError
    from folio.events.spark import session

    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    master = f"spark://127.0.0.1:{port}"
    settings = Settings(home=tmp_path, spark_master=master)
    with pytest.raises(FolioError, match=rf"Spark master '{master}' \(FOLIO_SPARK_MASTER\) is not"):
        session(settings)
