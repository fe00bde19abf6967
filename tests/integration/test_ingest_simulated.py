"""Both loaders on the simulator's output: the accounting matches the defect manifest to the row."""

from __future__ import annotations

import gzip
import sqlite3
from collections import Counter

import duckdb
import pytest
import sqlalchemy as sa
from conftest import TINY

from folio.config import Settings
from folio.contracts import appdb
from folio.core.window import Window
from folio.ingest.app_db import extract_app_db
from folio.ingest.stripe.load import load_stripe
from folio.simulator.landing import read_manifest


@pytest.fixture(scope="module")
def loaded(tiny_landing, tmp_path_factory):
    landing, summary = tiny_landing
    home = tmp_path_factory.mktemp("ingest")
    (home / "landing").symlink_to(landing)
    settings = Settings(home=home)
    window = Window(TINY.start, TINY.end)
    stripe = load_stripe(settings, window, "history")
    app = extract_app_db(settings, window, "history")
    return settings, summary, stripe, app


def _ledger(settings, source):
    with sqlite3.connect(settings.ledger_path) as conn:
        conn.row_factory = sqlite3.Row
        return [
            dict(r) for r in conn.execute("select * from ingest_files where source = ?", (source,))
        ]


def _lines(path) -> int:
    with gzip.open(path, "rb") as fh:
        return sum(1 for _ in fh)


def test_stripe_quarantine_is_exactly_the_manifest(loaded):
    settings = loaded[0]
    manifest = read_manifest(settings.landing)
    expected = {
        (d["file"], d["line"]): d["defect"]
        for d in manifest
        if d.get("source") == "stripe" and d["defect"] in ("malformed_json", "missing_id")
    }
    assert len(expected) >= 2  # the tiny simulation has some of each kind
    q = duckdb.sql(
        f"select source_file, line_number, reason from read_parquet("
        f"'{settings.lake}/quarantine/stripe/*/*/*.parquet')"
    ).fetchall()
    got = {(f, n): r for f, n, r in q}
    assert set(got) == set(expected)
    for key, defect in expected.items():
        prefix = "unparseable JSON" if defect == "malformed_json" else "missing id"
        assert got[key].startswith(prefix), (key, got[key])


def test_stripe_ledger_adds_up_per_file_and_matches_the_files(loaded):
    settings, summary, result, _ = loaded
    led = _ledger(settings, "stripe")
    files = sorted(settings.landing.glob("stripe/*/dt=*/*.jsonl.gz"))
    assert sorted(r["input"] for r in led) == sorted(
        str(f.relative_to(settings.landing)) for f in files
    )
    for r in led:
        assert r["lines_read"] == r["rows_written"] + r["rows_quarantined"], r
        assert r["status"] == "ok"
    lines = {str(f.relative_to(settings.landing)): _lines(f) for f in files}
    assert {r["input"]: r["lines_read"] for r in led} == lines
    assert sum(lines.values()) == summary.stripe_objects
    # every written row is in the lake, once
    written = duckdb.sql(
        f"select count(*) from read_parquet('{settings.lake}/raw/stripe/*/*/*.parquet',"
        " union_by_name = true) where raw_json is not null"
    ).fetchall()[0][0]
    assert written == sum(r["rows_written"] for r in led) == result.rows
    assert written == summary.stripe_objects - sum(r["rows_quarantined"] for r in led)


def test_stripe_drift_is_reported_from_the_day_it_starts(loaded):
    settings, _, result, _ = loaded
    drift = [
        d
        for d in read_manifest(settings.landing)
        if d["defect"] == "schema_drift" and d["source"] == "stripe"
    ]
    assert len(drift) == 1
    key = f"{drift[0]['object']}.{drift[0]['field']}"
    assert list(result.details["new_fields"]) == [key]
    first = result.details["new_fields"][key]["first_day"]
    assert first >= drift[0]["first_date"]
    # subscriptions created from the drift date on carry the new field, older ones never do
    subs = duckdb.sql(
        "select cast(created_at as date), coalesce(list_contains(unknown_fields, 'billing_mode'),"
        f" false) from read_parquet('{settings.lake}/raw/stripe/subscription/*/*.parquet')"
    ).fetchall()
    assert any(drifted for _, drifted in subs)
    assert all(drifted == (str(c) >= drift[0]["first_date"]) for c, drifted in subs)


def test_app_db_history_holds_every_row_once(loaded):
    settings, summary, _, result = loaded
    engine = sa.create_engine(settings.app_db)
    with engine.connect() as conn:
        source = {
            t.name: sorted(tuple(r) for r in conn.execute(sa.select(t))) for t in appdb.TABLES
        }
    engine.dispose()
    for t in appdb.TABLES:
        got = duckdb.sql(
            f"select * exclude (dt) from read_parquet('{settings.lake}/raw/app_db/{t.name}/*/*."
            "parquet', hive_partitioning = true)"
        ).fetchall()
        assert sorted(got) == source[t.name], t.name
    assert result.details["rows"] == {k: len(v) for k, v in source.items()}
    assert summary.app_rows == {k: len(v) for k, v in source.items()}
    # each row sits in the partition of its updated_at day
    bad = duckdb.sql(
        f"select count(*) from read_parquet('{settings.lake}/raw/app_db/images/*/*.parquet',"
        " hive_partitioning = true) where cast(updated_at as date) <> dt"
    ).fetchall()[0][0]
    assert bad == 0
    # hard-deleted images never reached the lake (deleted before the first extract)
    gone = [d["id"] for d in read_manifest(settings.landing) if d["defect"] == "hard_delete"]
    assert gone
    found = duckdb.sql(
        f"select count(*) from read_parquet('{settings.lake}/raw/app_db/images/*/*.parquet')"
        f" where id in ({','.join(map(str, gone))})"
    ).fetchall()[0][0]
    assert found == 0


def test_app_db_ledger_adds_up(loaded):
    settings, _, _, result = loaded
    led = _ledger(settings, "app_db")
    per_table = Counter()
    for r in led:
        assert r["lines_read"] == r["rows_written"] + r["rows_quarantined"] + r["rows_skipped"]
        per_table[r["table_name"]] += r["rows_written"]
    assert dict(per_table) == result.details["rows"]
