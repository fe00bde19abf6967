"""The lake on object storage (FOLIO_LAKE_URL=s3://...), against a local S3 server.

The lake module's guarantees hold there (a partition is written whole or not at all, listed,
removed), the extract keeps its cursor and overlap in an S3 lake, and every DuckDB
connection of the pipeline reads it. The whole nightly run on S3, Spark included, is in
tests/e2e/test_idempotency.py.
"""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from s3 import s3_server
from test_app_extract import AppDB, at

from folio.config import Settings
from folio.contracts import appdb
from folio.core import duck, lake
from folio.core.window import Window
from folio.ingest.app_db import extract_app_db
from folio.quality import gates

D1, D2 = dt.date(2026, 3, 2), dt.date(2026, 3, 3)


@pytest.fixture(scope="module")
def s3_env():
    with s3_server() as env:
        yield env


@pytest.fixture()
def settings(s3_env, tmp_path, monkeypatch, request):
    for k, v in s3_env.items():
        monkeypatch.setenv(k, v)
    # a folder of its own in the bucket per test
    monkeypatch.setenv("FOLIO_LAKE_URL", f"{s3_env['FOLIO_LAKE_URL']}/{request.node.name}")
    s = Settings(home=tmp_path)
    assert s.lake_is_remote
    return s


def read(path) -> list[dict]:
    with path.open("rb") as fh:
        return pq.read_table(fh).to_pylist()


def test_a_partition_is_put_whole_listed_replaced_and_removed(settings, monkeypatch):
    root = settings.lake / "raw" / "demo" / "things"
    for day, n in ((D2, 2), (D1, 3)):
        lake.put_partition(lake.partition_dir(root, day), pa.table({"id": list(range(n))}))
    parts = lake.partitions(root)
    assert [str(p) for p in parts] == [
        f"{settings.lake_url}/raw/demo/things/dt={d}/{lake.PART}" for d in (D1, D2)
    ]
    assert [len(read(p)) for p in parts] == [3, 2]
    assert lake.partitions(root, before=D2) == parts[:1]

    # a writer that fails while encoding leaves the old object, not part of a new one
    def broken(table, where, **kw):
        where.write(b"PAR1 half a file")
        raise OSError("disk full")

    monkeypatch.setattr(lake.pq, "write_table", broken)
    with pytest.raises(OSError, match="disk full"):
        lake.put_partition(lake.partition_dir(root, D1), pa.table({"id": [9]}))
    monkeypatch.undo()
    assert read(parts[0]) == [{"id": 0}, {"id": 1}, {"id": 2}]

    lake.put_partition(lake.partition_dir(root, D1), pa.table({"id": [], "x": []}))  # empty
    assert [str(p) for p in lake.partitions(root)] == [str(parts[1])]
    assert not settings.lake.fs.exists(str(parts[0]))
    assert not (settings.home / "lake").exists()  # nothing went to the local disk


def test_the_extract_keeps_its_cursor_and_overlap_in_an_s3_lake(settings, tmp_path):
    db = AppDB(tmp_path)
    try:
        db.account(1, at(D1, "10:00"))
        db.account(2, at(D1, "23:30"))
        db.account(3, at(D1, "11:00"))
        first = extract_app_db(settings, Window(D1, D1), "r1")
        assert first.details["rows"]["accounts"] == 3
        db.update(appdb.accounts, 1, status="active", updated_at=at(D2, "09:00"))
        db.delete(appdb.accounts, 3)  # a hard delete: the key check finds it gone
        second = extract_app_db(Settings(home=tmp_path, key_check_weekday=-1), Window(D2, D2), "r2")
    finally:
        db.engine.dispose()
    accounts = settings.lake / "raw" / "app_db" / "accounts"
    # the cursor came from the S3 partition of D1: account 2 (23:30) was re-read, skipped
    assert second.details["skipped_overlap"]["accounts"] == 1
    assert second.details["hard_deleted"]["accounts"] == 1
    assert [(r["id"], r["status"]) for r in read(accounts / f"dt={D2}" / lake.PART)] == [
        (1, "active")
    ]
    tombstones = read(settings.lake / "raw" / "app_db" / "deleted_rows" / f"dt={D2}" / lake.PART)
    assert [(t["table_name"], t["id"]) for t in tombstones] == [("accounts", 3)]


def test_every_duckdb_connection_of_the_pipeline_reads_the_s3_lake(settings):
    root = settings.lake / "raw" / "demo" / "events"
    for day, n in ((D1, 4), (D2, 1)):
        lake.put_partition(lake.partition_dir(root, day), pa.table({"id": list(range(n))}))
    with duck.connect(settings) as con:
        rows = con.execute(
            f"select dt, count(*) from read_parquet('{root}/dt=*/*.parquet',"
            " hive_partitioning = true) group by 1 order by 1"
        ).fetchall()
        duck.register_lake(settings, con)  # a second registration is a no-op, not an error
    assert rows == [(D1, 4), (D2, 1)]
    # the gates' volume checks read the Parquet footers on S3
    assert gates._partition_rows(settings, "raw/demo/events") == {D1: 4, D2: 1}


def test_files_written_behind_the_pipelines_back_are_seen(settings):
    """Spark writes the lake through S3A, not this process's s3fs: its listings cache must
    not hide the new files from the next listing or DuckDB connection."""
    import io

    import s3fs

    root = settings.lake / "events" / "demo"
    lake.put_partition(lake.partition_dir(root, D1), pa.table({"id": [1]}))
    with duck.connect(settings) as con:
        assert con.execute(f"select count(*) from glob('{root}/dt=*/*')").fetchall() == [(1,)]
    assert len(lake.partitions(root)) == 1  # both listed the folder: it is cached now
    settings.lake.fs.find(str(settings.lake))  # a full listing: every folder cached
    buf = io.BytesIO()
    pq.write_table(pa.table({"id": [2, 3]}), buf)
    other = s3fs.S3FileSystem(skip_instance_cache=True)  # another writer, Spark say
    other.pipe(f"{root.path}/dt={D2}/{lake.PART}", buf.getvalue())
    assert len(lake.partitions(root)) == 2
    assert gates._partition_rows(settings, "events/demo") == {D1: 1, D2: 2}
    with duck.connect(settings) as con:
        rows = con.execute(f"select count(*) from read_parquet('{root}/dt=*/*.parquet')")
        assert rows.fetchall() == [(3,)]


def test_a_lake_that_cannot_be_reached_fails_the_first_stage_naming_it(settings, monkeypatch):
    from folio.core.errors import FolioError
    from folio.ingest.preflight import check_sources

    lake.check_reachable(settings.lake)  # the test's bucket is there
    monkeypatch.setenv("FOLIO_LAKE_URL", "s3://no-such-bucket/lake")
    gone = Settings(home=settings.home)
    with pytest.raises(
        FolioError,
        match=r"the lake s3://no-such-bucket/lake \(FOLIO_LAKE_URL\)"
        r" is not reachable: .*",
    ):
        check_sources(gone, Window(D1, D1), "r")
