"""The app-DB extract on a hand-made SQLite app database: cursor, overlap, keys, contract."""

from __future__ import annotations

import datetime as dt
import shutil

import pyarrow.parquet as pq
import pytest
import sqlalchemy as sa

from folio.config import Settings
from folio.contracts import appdb
from folio.core import lake
from folio.core.window import Window
from folio.ingest.app_db import extract_app_db

D1 = dt.date(2026, 3, 2)
D2, D3, D4 = (D1 + dt.timedelta(days=k) for k in (1, 2, 3))


def at(day: dt.date, hhmm: str) -> dt.datetime:
    h, m = map(int, hhmm.split(":"))
    return dt.datetime.combine(day, dt.time(h, m))


class AppDB:
    def __init__(self, home):
        (home / "landing").mkdir(parents=True)
        self.engine = sa.create_engine(f"sqlite:///{home / 'landing' / 'app.db'}")
        appdb.metadata.create_all(self.engine)

    def account(self, id: int, ts: dt.datetime, **kw) -> None:
        row = {
            "id": id,
            "name": f"Studio {id}",
            "email": f"a{id}@example.com",
            "country": "DE",
            "acquisition_channel": "organic_search",
            "plan_code": "pro",
            "billing_interval": "month",
            "status": "trialing",
            "stripe_customer_id": f"cus_{id}",
            "signed_up_at": ts,
            "created_at": ts,
            "updated_at": ts,
            "deleted_at": None,
        }
        self.upsert(appdb.accounts, {**row, **kw})

    def upsert(self, table, row) -> None:
        with self.engine.begin() as conn:
            conn.execute(table.delete().where(table.c.id == row["id"]))
            conn.execute(table.insert(), [row])

    def update(self, table, id: int, **values) -> None:
        with self.engine.begin() as conn:
            conn.execute(table.update().where(table.c.id == id).values(**values))

    def delete(self, table, id: int) -> None:
        with self.engine.begin() as conn:
            conn.execute(table.delete().where(table.c.id == id))

    def sql(self, text: str) -> None:
        with self.engine.begin() as conn:
            conn.exec_driver_sql(text)


@pytest.fixture()
def home(tmp_path):
    return tmp_path


@pytest.fixture()
def db(home):
    d = AppDB(home)
    yield d
    d.engine.dispose()


def run(home, start, end=None, run_id="r", **kw):
    settings = Settings(home=home, key_check_weekday=kw.pop("key_check_weekday", -1), **kw)
    return extract_app_db(settings, Window(start, end or start), run_id)


def part(home, table, day, kind="raw") -> list[dict]:
    f = home / "lake" / kind / "app_db" / table / f"dt={day}" / lake.PART
    return pq.read_table(f).to_pylist() if f.exists() else []


def ids(home, table, day) -> list[int]:
    return [r["id"] for r in part(home, table, day)]


def test_updates_soft_deletes_and_the_overlap(home, db):
    db.account(1, at(D1, "10:00"))
    db.account(2, at(D1, "12:00"))
    db.account(3, at(D1, "23:30"))
    r1 = run(home, D1)
    assert ids(home, "accounts", D1) == [1, 2, 3]
    assert r1.details["rows"]["accounts"] == 3

    db.update(appdb.accounts, 1, status="active", updated_at=at(D2, "09:00"))
    db.update(appdb.accounts, 2, deleted_at=at(D2, "10:00"), updated_at=at(D2, "10:00"))
    r2 = run(home, D2)
    day2 = {r["id"]: r for r in part(home, "accounts", D2)}
    assert set(day2) == {1, 2}
    assert day2[1]["status"] == "active"
    assert day2[2]["deleted_at"] == at(D2, "10:00")
    # account 3 (23:30) lies within the overlap before the cursor: read again, skipped
    assert r2.details["skipped_overlap"]["accounts"] == 1
    assert ids(home, "accounts", D1) == [1, 2, 3]  # D1's versions stay in D1


@pytest.mark.parametrize("overlap", [0, 30])
def test_a_row_born_in_the_window_and_changed_after_it_is_in_the_window(home, db, overlap):
    def night(day, run_id="r"):
        return run(home, day, run_id=run_id, extract_overlap_minutes=overlap)

    db.account(1, at(D1, "10:00"))
    night(D1)
    db.account(2, at(D2, "23:50"))  # a late sign-up, edited before the night's run
    db.update(appdb.accounts, 2, status="active", updated_at=at(D3, "00:10"))
    db.update(appdb.accounts, 1, status="active", updated_at=at(D3, "01:00"))
    r = night(D2)
    # account 2 is what D2's Stripe and Segment data refer to: its current version rides
    # with D2; account 1 was in the lake already and changed after D2: that change is D3's
    assert [(a["id"], a["status"]) for a in part(home, "accounts", D2)] == [(2, "active")]
    assert r.details["rows"]["accounts"] == 1
    r = night(D3)
    assert ids(home, "accounts", D3) == [1]  # account 2's version is in the lake: not again
    assert r.details["rows"]["accounts"] == 1
    # changed again later: the new version is the later day's, as any change
    db.update(appdb.accounts, 2, status="past_due", updated_at=at(D4, "09:00"))
    night(D4)
    assert [(a["id"], a["status"]) for a in part(home, "accounts", D4)] == [(2, "past_due")]
    # rerunning D2 reads account 2's current version, which D4 holds: never in two days
    night(D2, run_id="again")
    assert ids(home, "accounts", D2) == [] and ids(home, "accounts", D4) == [2]


def test_a_late_commit_is_caught_by_the_overlap(home, db):
    db.account(1, at(D1, "10:00"))
    run(home, D1)
    run(home, D2)
    # committed after D2's run, stamped with D2's time: the D3 run's overlap reads it
    db.account(4, at(D2, "23:10"))
    db.account(5, at(D3, "08:00"))
    r = run(home, D3, key_check_weekday=0)  # D3 is a Wednesday: no key comparison
    assert ids(home, "accounts", D3) == [4, 5]
    assert r.details["recovered"]["accounts"] == 0


def test_the_key_comparison_recovers_what_the_cursor_missed(home, db):
    db.account(1, at(D1, "10:00"))
    db.account(2, at(D2, "11:00"))
    run(home, D1)
    run(home, D2)
    db.account(7, at(D1, "05:00"))  # committed days late: older than the overlap reaches
    db.update(appdb.accounts, 1, status="active", updated_at=at(D1, "11:00"))  # same
    r = run(home, D3, key_check_weekday=0)  # no comparison on a Wednesday: still missing
    assert ids(home, "accounts", D3) == []
    r = run(home, D4)  # every run compares keys (-1)
    assert r.details["recovered"]["accounts"] == 2
    assert ids(home, "accounts", D4) == [1, 7]
    assert part(home, "accounts", D4)[0]["status"] == "active"
    # a rerun finds them in the lake now and recovers nothing more
    r = run(home, D4, run_id="again")
    assert r.details["recovered"]["accounts"] == 2  # the same rows, same partition
    assert ids(home, "accounts", D4) == [1, 7]


def test_hard_deletes_are_found_by_key_comparison_once(home, db):
    db.account(1, at(D1, "10:00"))
    db.upsert(
        appdb.portfolio_sites,
        {
            "id": 1,
            "account_id": 1,
            "subdomain": "s1",
            "custom_domain": None,
            "theme": "mono",
            "status": "draft",
            "published_at": None,
            "created_at": at(D1, "10:05"),
            "updated_at": at(D1, "10:05"),
            "deleted_at": None,
        },
    )
    for i in (1, 2, 3):
        db.upsert(
            appdb.images,
            {
                "id": i,
                "site_id": 1,
                "account_id": 1,
                "filename": f"{i}.jpg",
                "size_bytes": 1000 * i,
                "width": 10,
                "height": 10,
                "created_at": at(D1, "11:00"),
                "updated_at": at(D1, "11:00"),
                "deleted_at": None,
            },
        )
    run(home, D1)
    db.delete(appdb.images, 2)
    r = run(home, D2)
    assert r.details["hard_deleted"]["images"] == 1
    assert part(home, "deleted_rows", D2) == [{"table_name": "images", "id": 2, "detected_on": D2}]
    r = run(home, D3)
    assert r.details["hard_deleted"]["images"] == 0  # reported once
    assert part(home, "deleted_rows", D3) == []
    run(home, D2, run_id="rerun")  # a rerun of D2 finds it again, in the same place
    assert part(home, "deleted_rows", D2) == [{"table_name": "images", "id": 2, "detected_on": D2}]


def test_contract_breaks_are_quarantined_with_reasons(home, db):
    db.account(1, at(D1, "10:00"))
    db.account(2, at(D1, "10:30"), status="zombie")
    db.account(3, at(D1, "11:00"))
    # SQLite keeps whatever it is given: text in an integer column, a bad timestamp
    db.sql(
        "insert into images values (9, 1, 1, 'x.jpg', 'big', 1, 1, '2026-03-02 12:00:00',"
        " '2026-03-02 12:00:00', null)"
    )
    db.sql(
        "insert into images values (10, 1, 1, 'y.jpg', 5, 1, 1, '2026-03-02 12:00:00',"
        " '2026-03-02 12:00:00', 'soon')"
    )
    r = run(home, D1)
    assert ids(home, "accounts", D1) == [1, 3]
    q = part(home, "accounts", D1, kind="quarantine")
    assert [(x["record_id"], x["reason"]) for x in q] == [
        ("2", "status not one of trialing, active, past_due, canceled")
    ]
    assert '"status": "zombie"' in q[0]["raw"]
    qi = {x["record_id"]: x["reason"] for x in part(home, "images", D1, kind="quarantine")}
    assert qi == {
        "9": "size_bytes: 'big' is not an integer",
        "10": "deleted_at: 'soon' is not a timestamp",
    }
    assert ids(home, "images", D1) == []
    assert r.details["quarantined"] == {
        "plans": 0,
        "accounts": 1,
        "users": 0,
        "portfolio_sites": 0,
        "images": 2,
    }


def test_no_state_but_the_lake_no_gaps_no_duplicates(home, db):
    db.account(1, at(D1, "10:00"))
    db.account(2, at(D2, "10:00"))
    db.account(3, at(D3, "10:00"))
    run(home, D1)
    # D2's run never happened, and the ledger (the only state-like file) is lost
    shutil.rmtree(home / "ops")
    r = run(home, D3)
    assert ids(home, "accounts", D3) == [2, 3]  # no gap: D2's change rides with D3
    assert r.details["rows"]["accounts"] == 2
    # the backfill of the range puts every version in its own day, once
    run(home, D2, D3, run_id="backfill")
    assert ids(home, "accounts", D2) == [2] and ids(home, "accounts", D3) == [3]
    assert ids(home, "accounts", D1) == [1]


def test_reruns_are_identical(home, db):
    for i in range(1, 36):  # every 2 hours from D1 02:00 to D3 22:00
        db.account(i, at(D1, "00:00") + dt.timedelta(hours=2 * i))
    run(home, D1, D3)
    first = {d: part(home, "accounts", d) for d in (D1, D2, D3, D4)}
    run(home, D1, D3, run_id="again")
    run(home, D2, run_id="one-day")
    assert {d: part(home, "accounts", d) for d in (D1, D2, D3, D4)} == first
    assert sum(len(v) for v in first.values()) == 35 and first[D4] == []
