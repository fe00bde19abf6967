"""The Stripe loader on hand-made exports: both API shapes, quarantine reasons, drift, accounting."""

from __future__ import annotations

import datetime as dt
import gzip
import json
import sqlite3
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from folio.config import Settings
from folio.core import lake
from folio.core.errors import FolioError
from folio.core.window import Window
from folio.ingest.stripe.load import load_stripe

DAY = dt.date(2026, 3, 2)
T0 = 1772409600  # 2026-03-02T00:00:00Z
UTC = dt.datetime(2026, 3, 2)


def ts(offset: int) -> dt.datetime:
    return UTC + dt.timedelta(seconds=offset)


def write(home: Path, obj: str, lines: list, name: str = "part-00000.jsonl.gz", day=DAY) -> str:
    folder = home / "landing" / "stripe" / obj / f"dt={day}"
    folder.mkdir(parents=True, exist_ok=True)
    payload = b"".join(
        (x if isinstance(x, bytes) else json.dumps(x).encode()) + b"\n" for x in lines
    )
    path = folder / name
    if name.endswith(".gz"):
        path.write_bytes(gzip.compress(payload))
    else:
        path.write_bytes(payload)
    return str(path.relative_to(home / "landing"))


def deliver(home: Path, *days: dt.date) -> None:
    marks = home / "landing" / "stripe" / "_delivered"
    marks.mkdir(parents=True, exist_ok=True)
    for d in days:
        (marks / d.isoformat()).touch()


def rows(home: Path, table: str, day=DAY, kind="raw") -> list[dict]:
    f = home / "lake" / kind / "stripe" / table / f"dt={day}" / lake.PART
    return pq.read_table(f).to_pylist() if f.exists() else []


@pytest.fixture()
def home(tmp_path) -> Path:
    deliver(tmp_path, DAY)
    return tmp_path


def settings(home: Path, **kw) -> Settings:
    return Settings(home=home, **kw)


def run(home: Path, **kw):
    return load_stripe(settings(home, **kw), Window(DAY, DAY), "test-run")


# ---------------------------------------------------------------- objects in both shapes
PRICE = {
    "id": "price_pro_m",
    "object": "price",
    "active": True,
    "created": T0,
    "currency": "usd",
    "product": "prod_pro",
    "recurring": {"interval": "month", "interval_count": 1},
    "type": "recurring",
    "unit_amount": 1500,
}

CURRENT_SUB = {
    "id": "sub_new",
    "object": "subscription",
    "customer": {"id": "cus_1", "object": "customer"},  # expanded
    "status": "active",
    "created": T0,
    "start_date": T0,
    "trial_start": None,
    "trial_end": None,
    "cancel_at_period_end": False,
    "discounts": [
        {
            "id": "di_1",
            "object": "discount",
            "source": {"coupon": "LAUNCH20", "type": "coupon"},
            "start": T0,
            "end": None,
        },
        "di_2",  # not expanded: only its id is known
    ],
    "items": {
        "object": "list",
        "data": [
            {
                "id": "si_1",
                "object": "subscription_item",
                "created": T0,
                "current_period_start": T0,
                "current_period_end": T0 + 2_678_400,
                "price": PRICE,
                "quantity": 2,
            }
        ],
        "has_more": False,
    },
    "metadata": {"folio_account_id": "7"},
}

LEGACY_SUB = {  # older API versions: period on the subscription, one discount, a plan
    "id": "sub_old",
    "object": "subscription",
    "customer": "cus_2",
    "status": "past_due",
    "created": T0 - 86400,
    "current_period_start": T0 - 86400,
    "current_period_end": T0 + 30 * 86400,
    "discount": {
        "id": "di_old",
        "object": "discount",
        "coupon": {"id": "Z4OV52SU", "object": "coupon", "percent_off": 25.5},
        "start": T0 - 86400,
        "end": T0 + 90 * 86400,
    },
    "items": {
        "object": "list",
        "data": [
            {
                "id": "si_old",
                "object": "subscription_item",
                "plan": {
                    "id": "plan_old",
                    "object": "plan",
                    "amount": 9900,
                    "currency": "usd",
                    "interval": "year",
                    "interval_count": 1,
                    "product": {"id": "prod_pro", "object": "product"},
                },
                "quantity": 1,
            }
        ],
        "has_more": False,
    },
}

CURRENT_INVOICE = {
    "id": "in_new",
    "object": "invoice",
    "customer": "cus_1",
    "currency": "usd",
    "status": "paid",
    "billing_reason": "subscription_cycle",
    "created": T0 + 60,
    "amount_due": 2640,
    "amount_paid": 2640,
    "total": 2640,
    "subtotal": 3000,
    "total_excluding_tax": 2400,
    "total_taxes": [{"amount": 240, "type": "tax_rate_details"}],
    "total_discount_amounts": [{"amount": 600, "discount": "di_1"}],
    "parent": {
        "type": "subscription_details",
        "subscription_details": {"subscription": "sub_new", "metadata": {}},
    },
    "status_transitions": {"finalized_at": T0 + 60, "paid_at": T0 + 120},
    "lines": {
        "object": "list",
        "data": [
            {
                "id": "il_1",
                "object": "line_item",
                "amount": 3000,
                "currency": "usd",
                "discount_amounts": [{"amount": 600, "discount": "di_1"}],
                "parent": {
                    "type": "subscription_item_details",
                    "subscription_item_details": {
                        "subscription": "sub_new",
                        "subscription_item": "si_1",
                        "proration": False,
                    },
                },
                "period": {"start": T0, "end": T0 + 2_678_400},
                "pricing": {
                    "type": "price_details",
                    "price_details": {"price": "price_pro_m", "product": "prod_pro"},
                },
                "quantity": 2,
                "taxes": [{"amount": 240}],
            }
        ],
        "has_more": False,
    },
    "payments": {
        "object": "list",
        "data": [
            {
                "id": "inpay_1",
                "object": "invoice_payment",
                "amount_paid": 2640,
                "amount_requested": 2640,
                "created": T0 + 120,
                "invoice": "in_new",
                "is_default": True,
                "payment": {"payment_intent": "pi_1", "type": "payment_intent"},
                "status": "paid",
                "status_transitions": {"paid_at": T0 + 120},
            }
        ],
        "has_more": False,
    },
}

LEGACY_INVOICE = {  # subscription, charge, payment_intent and tax on the invoice itself
    "id": "in_old",
    "object": "invoice",
    "customer": "cus_2",
    "currency": "usd",
    "status": "open",
    "created": T0 + 30,
    "amount_due": 9900,
    "amount_paid": 0,
    "total": 9900,
    "tax": None,
    "subscription": {"id": "sub_old", "object": "subscription"},
    "charge": "ch_old",
    "payment_intent": None,
    "paid": False,
    "status_transitions": {"paid_at": None},
    "lines": {
        "object": "list",
        "data": [
            {
                "id": "il_old",
                "object": "line_item",
                "amount": 9900,
                "currency": "usd",
                "price": {"id": "plan_old", "object": "price", "product": "prod_pro"},
                "subscription": "sub_old",
                "proration": True,
                "type": "subscription",
                "period": {"start": T0, "end": T0 + 86400},
                "tax_amounts": [],
                "quantity": 1,
            }
        ],
        "has_more": True,  # cut off in the export
    },
}


def test_both_api_shapes_give_the_same_columns(home):
    write(home, "subscription", [CURRENT_SUB, LEGACY_SUB])
    write(home, "invoice", [CURRENT_INVOICE, LEGACY_INVOICE])
    write(
        home,
        "charge",
        [
            {
                "id": "ch_old",
                "object": "charge",
                "amount": 9900,
                "currency": "usd",
                "status": "failed",
                "created": T0,
                "invoice": "in_old",  # older API versions link the charge to its invoice
                "customer": None,
                "payment_intent": None,
            }
        ],
    )
    result = run(home)
    assert result.details["objects"]["subscription"] == 2
    assert result.details["quarantined"]["subscription"] == 0
    assert result.details["truncated_lists"] == {"invoice": 1}

    subs = {r["subscription_id"]: r for r in rows(home, "subscription")}
    assert subs["sub_new"]["customer_id"] == "cus_1"  # expanded object -> its id
    assert subs["sub_new"]["current_period_start_at"] == ts(0)  # from the item
    assert subs["sub_new"]["current_period_end_at"] == ts(2_678_400)
    assert subs["sub_new"]["folio_account_id"] == "7"
    assert subs["sub_new"]["trial_end_at"] is None
    assert subs["sub_old"]["current_period_start_at"] == ts(-86400)  # from the subscription
    assert subs["sub_old"]["status"] == "past_due"
    assert json.loads(subs["sub_old"]["raw_json"]) == LEGACY_SUB
    assert subs["sub_new"]["_line_number"] == 1 and subs["sub_old"]["_line_number"] == 2

    items = {r["subscription_item_id"]: r for r in rows(home, "subscription_item")}
    assert items["si_1"]["price_id"] == "price_pro_m"
    assert (items["si_1"]["unit_amount"], items["si_1"]["quantity"]) == (1500, 2)
    assert items["si_1"]["current_period_end_at"] == ts(2_678_400)
    assert items["si_old"]["price_id"] == "plan_old"
    assert items["si_old"]["product_id"] == "prod_pro"
    assert (items["si_old"]["unit_amount"], items["si_old"]["recurring_interval"]) == (9900, "year")
    assert items["si_old"]["current_period_start_at"] == ts(-86400)

    discounts = sorted(rows(home, "subscription_discount"), key=lambda r: r["discount_id"])
    assert [(d["discount_id"], d["coupon_id"]) for d in discounts] == [
        ("di_1", "LAUNCH20"),
        ("di_2", None),
        ("di_old", "Z4OV52SU"),
    ]
    assert discounts[2]["end_at"] == ts(90 * 86400)

    invs = {r["invoice_id"]: r for r in rows(home, "invoice")}
    new, old = invs["in_new"], invs["in_old"]
    assert new["subscription_id"] == "sub_new" and old["subscription_id"] == "sub_old"
    assert (new["tax_amount"], new["discount_amount"], new["total"]) == (240, 600, 2640)
    assert old["tax_amount"] is None and old["discount_amount"] is None
    assert new["paid_at"] == ts(120) and old["paid_at"] is None

    lines = {r["invoice_line_id"]: r for r in rows(home, "invoice_line")}
    assert lines["il_1"]["price_id"] == "price_pro_m"
    assert lines["il_1"]["subscription_item_id"] == "si_1"
    assert (lines["il_1"]["discount_amount"], lines["il_1"]["tax_amount"]) == (600, 240)
    assert lines["il_1"]["is_proration"] is False
    assert lines["il_old"]["price_id"] == "plan_old" and lines["il_old"]["is_proration"] is True
    assert lines["il_old"]["subscription_id"] == "sub_old"
    assert lines["il_old"]["line_type"] == "subscription"

    pays = {r["invoice_id"]: r for r in rows(home, "invoice_payment")}
    assert pays["in_new"]["payment_intent_id"] == "pi_1"
    assert pays["in_new"]["invoice_payment_id"] == "inpay_1"
    assert pays["in_old"]["charge_id"] == "ch_old" and pays["in_old"]["status"] == "open"
    assert rows(home, "charge")[0]["invoice_id"] == "in_old"

    # a table without rows that day has no partition (the ledger says the day was loaded)
    assert not (home / "lake/raw/stripe/refund" / f"dt={DAY}").exists()


def test_every_bad_line_is_quarantined_with_its_reason(home):
    good = {"id": "cus_ok", "object": "customer", "created": T0, "email": "a@b.c"}
    rel = write(
        home,
        "customer",
        [
            good,
            b'{"id": "cus_cut", "object": "cust',  # truncated
            {"object": "customer", "created": T0},  # no id
            {"id": "cus_x", "object": "charge", "created": T0},  # wrong object
            {"id": "cus_t", "object": "customer", "created": "yesterday"},  # wrong type
            {"id": "cus_n", "object": "customer"},  # required field missing
            b"",  # empty line
            b"[1, 2]",  # JSON but not an object
            {"id": "cus_del", "object": "customer", "deleted": True},  # a deletion: fine
            {"id": "cus_ok", "object": "customer", "created": T0, "email": "new@b.c"},
        ],
    )
    result = run(home)
    kept = {r["customer_id"]: r for r in rows(home, "customer")}
    assert set(kept) == {"cus_ok", "cus_del"}
    assert kept["cus_ok"]["email"] == "new@b.c"  # the later line of the day wins
    assert kept["cus_del"]["is_deleted"] is True and kept["cus_del"]["created_at"] is None
    q = {r["line_number"]: r for r in rows(home, "customer", kind="quarantine")}
    assert {n: r["reason"].split(":")[0] for n, r in q.items()} == {
        1: "duplicate id in the day",
        2: "unparseable JSON",
        3: "missing id",
        4: "object type 'charge' in the customer export",
        5: "contract",
        6: "contract",
        7: "empty line",
        8: "not a JSON object",
    }
    assert q[1]["reason"] == f"duplicate id in the day: superseded by {rel}:10"
    assert q[5]["reason"] == "contract: Expected `int | null`, got `str` - at `$.created`"
    assert q[6]["reason"] == "contract: created_at: required, missing or null"
    assert q[2]["raw"] == '{"id": "cus_cut", "object": "cust'
    assert all(r["source_file"] == rel for r in q.values())
    assert q[5]["record_id"] == "cus_t"
    assert result.details["quarantined"]["customer"] == 8

    with sqlite3.connect(home / "ops" / "ledger.sqlite") as conn:
        led = conn.execute(
            "select input, lines_read, rows_written, rows_quarantined, status from ingest_files"
            " where table_name = 'customer'"
        ).fetchall()
    assert led == [(rel, 10, 2, 8, "ok")]


def test_a_corrupt_gzip_file_is_quarantined_whole_and_the_rest_loads(home):
    good = write(
        home,
        "charge",
        [
            {
                "id": "ch_1",
                "object": "charge",
                "amount": 100,
                "currency": "usd",
                "status": "succeeded",
                "created": T0,
            }
        ],
    )
    folder = home / "landing" / "stripe" / "charge" / f"dt={DAY}"
    blob = gzip.compress(
        b"".join(
            json.dumps({"id": f"ch_{i}", "object": "charge"}).encode() + b"\n"
            for i in range(2, 400)
        )
    )
    (folder / "part-00001.jsonl.gz").write_bytes(blob[: len(blob) // 2])  # cut in half
    (folder / "part-00002.jsonl.gz").write_bytes(b"this is not gzip at all\n")
    result = run(home)
    assert [r["charge_id"] for r in rows(home, "charge")] == ["ch_1"]
    assert sorted(result.details["corrupt_files"]) == [
        "stripe/charge/dt=2026-03-02/part-00001.jsonl.gz",
        "stripe/charge/dt=2026-03-02/part-00002.jsonl.gz",
    ]
    q = rows(home, "charge", kind="quarantine")
    by_file = {}
    for r in q:
        by_file.setdefault(r["source_file"], []).append(r)
    cut = by_file["stripe/charge/dt=2026-03-02/part-00001.jsonl.gz"]
    assert len(cut) > 10 and all("corrupt file, quarantined whole" in r["reason"] for r in cut)
    junk = by_file["stripe/charge/dt=2026-03-02/part-00002.jsonl.gz"]
    assert len(junk) == 1 and junk[0]["line_number"] is None
    assert "BadGzipFile" in junk[0]["reason"]
    with sqlite3.connect(home / "ops" / "ledger.sqlite") as conn:
        led = conn.execute(
            "select input, status, lines_read, rows_written, rows_quarantined from ingest_files"
            " where table_name = 'charge' order by input"
        ).fetchall()
    assert led[0] == (good, "ok", 1, 1, 0)
    assert led[1][1:4] == ("corrupt", len(cut), 0) and led[1][4] == len(cut)
    assert led[2] == ("stripe/charge/dt=2026-03-02/part-00002.jsonl.gz", "corrupt", 0, 0, 0)


def test_new_fields_are_kept_and_reported(home):
    drifted = dict(CURRENT_SUB, billing_mode={"type": "flexible"}, flux_capacitor=1)
    write(home, "subscription", [CURRENT_SUB, drifted | {"id": "sub_2"}])
    result = run(home)
    assert result.details["new_fields"] == {
        "subscription.billing_mode": {"rows": 1, "first_day": "2026-03-02"},
        "subscription.flux_capacitor": {"rows": 1, "first_day": "2026-03-02"},
    }
    subs = {r["subscription_id"]: r for r in rows(home, "subscription")}
    assert subs["sub_2"]["unknown_fields"] == ["billing_mode", "flux_capacitor"]
    assert json.loads(subs["sub_2"]["raw_json"])["billing_mode"] == {"type": "flexible"}
    assert subs["sub_new"]["unknown_fields"] is None


def test_undelivered_day_fails_naming_the_path_unless_optional(tmp_path):
    window = Window(DAY, DAY + dt.timedelta(days=1))
    deliver(tmp_path, DAY)
    with pytest.raises(FolioError) as err:
        load_stripe(settings(tmp_path), window, "r")
    marker = tmp_path / "landing" / "stripe" / "_delivered" / "2026-03-03"
    assert f"{marker} is missing" in str(err.value)
    assert not (tmp_path / "lake").exists()  # nothing was written before failing

    result = load_stripe(settings(tmp_path, optional_sources="segment, stripe"), window, "r")
    assert result.details["undelivered_days"] == ["2026-03-03"]
    assert rows(tmp_path, "invoice", day=DAY + dt.timedelta(days=1)) == []


def test_rerun_replaces_the_partition(home):
    write(
        home,
        "refund",
        [
            {
                "id": "re_1",
                "object": "refund",
                "amount": 5,
                "currency": "usd",
                "created": T0,
                "charge": "ch_1",
            },
            {"id": "re_2", "object": "refund", "created": T0},
        ],
    )
    run(home)
    assert len(rows(home, "refund")) == 1 and len(rows(home, "refund", kind="quarantine")) == 1
    write(
        home,
        "refund",
        [
            {
                "id": "re_1",
                "object": "refund",
                "amount": 7,
                "currency": "usd",
                "created": T0,
                "charge": "ch_1",
            }
        ],
    )
    run(home)
    assert [r["amount"] for r in rows(home, "refund")] == [7]
    # the quarantine of the day is gone with the bad line
    assert not (home / "lake/quarantine/stripe/refund" / f"dt={DAY}").exists()


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"customer": {"object": "customer"}}, "contract: Object missing required field `id`"),
        ({"customer": None}, "contract: customer_id: required, missing or null"),
        ({"created": True}, "contract: Expected `int | null`, got `bool` - at `$.created`"),
        ({"items": None}, "contract: items: required, missing or null"),
        ({"items": {"object": "list", "data": [{"quantity": 1}]}}, "contract: Object missing"),
        ({"status": 3, "zzz_new": 1}, "contract: Expected `str | null`, got `int`"),
        ({"id": ""}, "missing id"),
    ],
)
def test_nested_contract_breaks_name_the_field(home, change, reason):
    write(home, "subscription", [CURRENT_SUB | change])
    run(home)
    assert rows(home, "subscription") == []
    q = rows(home, "subscription", kind="quarantine")
    assert len(q) == 1 and q[0]["reason"].startswith(reason), q[0]["reason"]


def test_check_sources_lets_an_optional_source_miss_a_day(tmp_path):
    import sqlalchemy as sa

    from folio.contracts import appdb
    from folio.ingest.preflight import check_sources

    (tmp_path / "landing").mkdir()
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'landing' / 'app.db'}")
    appdb.metadata.create_all(engine)
    engine.dispose()
    seg = tmp_path / "landing" / "segment" / "_delivered"
    seg.mkdir(parents=True)
    (seg / DAY.isoformat()).touch()
    with pytest.raises(FolioError, match="stripe: 1 day"):
        check_sources(settings(tmp_path), Window(DAY, DAY), "r")
    result = check_sources(settings(tmp_path, optional_sources="stripe"), Window(DAY, DAY), "r")
    assert result.details["undelivered_optional"] == {"stripe": [DAY.isoformat()]}
