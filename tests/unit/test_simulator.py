"""The simulator: deterministic, schema-conformant, and its defect manifest is exact."""

from __future__ import annotations

import datetime as dt
import hashlib
import sqlite3
from collections import Counter, defaultdict

import pytest
from conftest import TINY, read_lines

from folio.contracts.json_schemas import segment_errors, stripe_errors
from folio.simulator.catalog import APP_TRACK_EVENTS, BOT_USER_AGENTS
from folio.simulator.engine import SimParams, iso_ms, simulate
from folio.simulator.landing import read_manifest

HOUR = 3_600_000


def _tree_digest(landing):
    out = {}
    for p in sorted(landing.rglob("*")):
        if p.is_file() and p.name != "app.db" and p.name != "simulation.json":
            out[str(p.relative_to(landing))] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


def _db_dump(path):
    with sqlite3.connect(path) as conn:
        return {
            t: conn.execute(f"select * from {t} order by id").fetchall()
            for t in ("plans", "accounts", "users", "portfolio_sites", "images")
        }


def test_same_seed_and_range_give_identical_files(tmp_path):
    p = SimParams(start=dt.date(2026, 1, 1), end=dt.date(2026, 2, 10), accounts=30, seed=3)
    a, b = tmp_path / "a", tmp_path / "b"
    simulate(p, a, f"sqlite:///{a / 'app.db'}")
    simulate(p, b, f"sqlite:///{b / 'app.db'}")
    da, db = _tree_digest(a), _tree_digest(b)
    assert len(da) > 50
    assert da == db
    assert _db_dump(a / "app.db") == _db_dump(b / "app.db")
    c = tmp_path / "c"
    simulate(SimParams(**{**p.__dict__, "seed": 4}), c, f"sqlite:///{c / 'app.db'}")
    assert _tree_digest(c) != da


@pytest.fixture(scope="module")
def parsed(tiny_landing):
    """Every line of the landing zone: (file, line, raw, obj)."""
    landing, _ = tiny_landing
    segment, stripe = [], []
    for path in sorted(landing.glob("segment/dt=*/*.jsonl.gz")):
        rel = str(path.relative_to(landing))
        segment += [(rel, n, raw, obj) for n, raw, obj in read_lines(path)]
    for path in sorted(landing.glob("stripe/*/dt=*/*.jsonl.gz")):
        rel = str(path.relative_to(landing))
        stripe += [(rel, n, raw, obj) for n, raw, obj in read_lines(path)]
    manifest = read_manifest(landing)
    by_defect = defaultdict(list)
    for m in manifest:
        by_defect[m["defect"]].append(m)
    return segment, stripe, by_defect


def _at(records):
    return {(m["file"], m["line"]) for m in records}


def test_landing_layout_and_volume(tiny_landing, parsed):
    landing, summary = tiny_landing
    segment, stripe, _ = parsed
    days = (TINY.end - TINY.start).days + 1
    assert len(list(landing.glob("segment/_delivered/*"))) == days
    assert len(list(landing.glob("stripe/_delivered/*"))) == days
    assert {p.name for p in landing.glob("stripe/*") if p.name != "_delivered"} == {
        "customer",
        "product",
        "price",
        "coupon",
        "subscription",
        "invoice",
        "charge",
        "refund",
    }
    assert len(segment) == summary.segment_messages > 20_000
    assert len(stripe) == summary.stripe_objects > 300


@pytest.mark.slow  # 20-40 s: not in `make check`
def test_clean_lines_conform_to_the_json_schemas(parsed):
    segment, stripe, by_defect = parsed
    defective = _at(by_defect["missing_required"] + by_defect["missing_id"])
    bad = []
    for rel, n, _, obj in segment:
        if obj is not None and (rel, n) not in defective:
            bad += [(rel, n, e) for e in segment_errors(obj)]
    for rel, n, _, obj in stripe:
        if obj is not None and (rel, n) not in defective:
            bad += [(rel, n, e) for e in stripe_errors(obj)]
    assert bad == []
    kinds = Counter(o["type"] for *_, o in segment if o and "type" in o)
    assert set(kinds) == {"track", "page", "identify"}


def test_malformed_lines_are_exactly_the_manifest(parsed):
    segment, stripe, by_defect = parsed
    unparseable = {(rel, n) for rel, n, _, obj in segment + stripe if obj is None}
    assert unparseable == _at(by_defect["malformed_json"])
    assert len(unparseable) >= 10


def test_missing_required_fields_are_exactly_the_manifest(parsed):
    segment, stripe, by_defect = parsed

    def missing(o):
        need = ["messageId", "type", "timestamp", "receivedAt"]
        if o.get("type") == "track":
            need.append("event")
        gone = [f for f in need if f not in o]
        if "anonymousId" not in o and "userId" not in o:
            gone.append("anonymousId|userId")
        return gone

    found = {(rel, n): missing(o) for rel, n, _, o in segment if o is not None and missing(o)}
    listed = {(m["file"], m["line"]): [m["field"]] for m in by_defect["missing_required"]}
    assert found == listed
    assert len(found) >= 5
    no_id = {(rel, n) for rel, n, _, o in stripe if o is not None and "id" not in o}
    assert no_id == _at(by_defect["missing_id"])


def test_duplicate_message_ids_are_exactly_the_manifest(parsed):
    segment, _, by_defect = parsed
    counts = Counter(o["messageId"] for *_, o in segment if o and "messageId" in o)
    extra = {mid: n - 1 for mid, n in counts.items() if n > 1}
    listed = Counter(m["message_id"] for m in by_defect["duplicate_message"])
    assert extra == dict(listed)
    assert len(extra) >= 20
    # the listed line is the copy: same message, delivered later
    first = {}
    for rel, n, _, o in segment:
        if o and "messageId" in o and (rel, n) not in _at(by_defect["duplicate_message"]):
            first.setdefault(o["messageId"], o)
    for rel, n, _, o in segment:
        if (rel, n) in _at(by_defect["duplicate_message"]):
            orig = first[o["messageId"]]
            assert (
                o["event" if o["type"] == "track" else "type"]
                == orig["event" if orig["type"] == "track" else "type"]
            )
            assert iso_ms(o["receivedAt"]) > iso_ms(orig["receivedAt"])


def _delivery_delay(o):
    return iso_ms(o["receivedAt"]) - iso_ms(o["timestamp"])


def test_late_and_out_of_order_messages_are_exactly_the_manifest(parsed):
    segment, _, by_defect = parsed
    copies = _at(by_defect["duplicate_message"])
    late, ooo = set(), set()
    for rel, n, _, o in segment:
        if o is None or (rel, n) in copies or "receivedAt" not in o or "timestamp" not in o:
            continue
        delay = _delivery_delay(o)
        if delay > 12 * HOUR:
            late.add((rel, n))
            days = (
                dt.date.fromisoformat(o["receivedAt"][:10])
                - dt.date.fromisoformat(o["timestamp"][:10])
            ).days
            assert 1 <= days <= 4
        elif delay > 60_000:
            ooo.add((rel, n))
        else:
            assert delay >= 0
    assert late == _at(by_defect["late_event"])
    assert ooo == _at(by_defect["out_of_order"])
    assert len(late) >= 20 and len(ooo) >= 20
    # out of order means: delivered after a later event of the same device
    seen = defaultdict(list)
    for rel, n, _, o in segment:
        if o and {"anonymousId", "timestamp", "receivedAt"} <= o.keys() and (rel, n) not in copies:
            seen[o["anonymousId"]].append(
                (iso_ms(o["receivedAt"]), iso_ms(o["timestamp"]), (rel, n))
            )
    overtaken = 0
    for msgs in seen.values():
        for rec, ts, key in msgs:
            if key in ooo and any(r2 < rec and t2 > ts for r2, t2, _ in msgs):
                overtaken += 1
    assert overtaken >= 1


def test_clock_skew_is_exactly_the_manifest(parsed):
    segment, _, by_defect = parsed
    skew = {m["anonymous_id"]: m["skew_ms"] for m in by_defect["clock_skew_device"]}
    assert skew, "expected skewed devices at this defect rate"
    copies = _at(by_defect["duplicate_message"])  # a re-delivery gets a new timestamp
    checked = Counter()
    for rel, n, _, o in segment:
        if (
            not o
            or (rel, n) in copies
            or not {"originalTimestamp", "timestamp", "anonymousId"} <= o.keys()
        ):
            continue
        off = iso_ms(o["originalTimestamp"]) - iso_ms(o["timestamp"])
        want = skew.get(o["anonymousId"], 0)
        assert abs(off - want) < 1000, (o["messageId"], off, want)
        checked[o["anonymousId"] in skew] += 1
    assert checked[True] > 0 and checked[False] > 0


def test_unknown_events_are_exactly_the_manifest(parsed):
    segment, _, by_defect = parsed
    unknown = {
        (rel, n)
        for rel, n, _, o in segment
        if o and o.get("type") == "track" and "event" in o and o["event"] not in APP_TRACK_EVENTS
    }
    assert unknown == _at(by_defect["unknown_event"])
    assert len(unknown) >= 3


def test_bot_traffic_is_exactly_the_manifest(parsed):
    segment, _, by_defect = parsed
    bots = {m["anonymous_id"]: m for m in by_defect["bot_traffic"]}
    per_anon = Counter(o["anonymousId"] for *_, o in segment if o and "anonymousId" in o)
    assert {a: per_anon[a] for a in bots} == {a: m["messages"] for a, m in bots.items()}
    ua_bots = {
        o["anonymousId"]
        for *_, o in segment
        if o and "anonymousId" in o and o["context"]["userAgent"] in BOT_USER_AGENTS
    }
    assert ua_bots == {a for a, m in bots.items() if m["kind"] == "user_agent"}
    assert {m["kind"] for m in bots.values()} == {"user_agent", "rate"}


def test_schema_drift_starts_on_its_date(parsed):
    segment, stripe, by_defect = parsed
    drift = {m["source"]: m for m in by_defect["schema_drift"]}
    first = dt.date.fromisoformat(drift["stripe"]["first_date"])
    subs = [(rel, o) for rel, _, _, o in stripe if o and o.get("object") == "subscription"]
    before = [
        o
        for rel, o in subs
        if dt.datetime.fromtimestamp(o["created"], dt.UTC).date() < first
        and dt.date.fromisoformat(rel.split("dt=")[1][:10]) < first
    ]
    after = [
        o for rel, o in subs if dt.datetime.fromtimestamp(o["created"], dt.UTC).date() >= first
    ]
    assert before and after
    assert not any("billing_mode" in o for o in before)
    assert all(o["billing_mode"] == {"type": "classic"} for o in after)
    seg_first = (
        dt.datetime.combine(
            dt.date.fromisoformat(drift["segment"]["first_date"]), dt.time(), dt.UTC
        ).timestamp()
        * 1000
    )
    copies = _at(by_defect["duplicate_message"])
    for rel, n, _, o in segment:
        if o and "timestamp" in o and "context" in o and (rel, n) not in copies:
            ts = iso_ms(o["timestamp"])
            if ts < seg_first:
                assert "timezone" not in o["context"]
            elif ts > seg_first + 1000:
                assert o["context"]["timezone"] == "UTC"


def test_app_db_has_soft_deletes_updates_and_exact_hard_deletes(tiny_landing):
    landing, summary = tiny_landing
    manifest = read_manifest(landing)
    hard = {m["id"] for m in manifest if m["defect"] == "hard_delete"}
    with sqlite3.connect(landing / "app.db") as conn:
        ids = {r[0] for r in conn.execute("select id from images")}
        changed = conn.execute(
            "select count(*) from users where updated_at > created_at"
        ).fetchone()[0]
        soft = conn.execute("select count(*) from images where deleted_at is not null").fetchone()[
            0
        ]
        statuses = {r[0] for r in conn.execute("select distinct status from accounts")}
    assert hard and not (hard & ids)
    assert ids | hard == set(range(1, max(ids | hard) + 1))  # nothing else went missing
    assert len(ids) == summary.app_rows["images"]
    assert changed > 10 and soft > 0
    assert {"trialing", "active", "canceled"} <= statuses


def test_stripe_references_resolve_and_amounts_add_up(parsed):
    _, stripe, _ = parsed
    latest = {}
    for _, _, _, o in stripe:
        if o and "id" in o:
            latest[o["id"]] = o
    customers = {i for i, o in latest.items() if o["object"] == "customer"}
    subs = {i: o for i, o in latest.items() if o["object"] == "subscription"}
    assert subs and all(o["customer"] in customers for o in subs.values())
    statuses = Counter(o["status"] for o in subs.values())
    assert {"trialing", "active", "canceled"} <= set(statuses)
    for o in latest.values():
        if o["object"] == "invoice":
            sub = o["parent"]["subscription_details"]["subscription"]
            assert sub in subs
            line = o["lines"]["data"][0]
            tax = sum(t["amount"] for t in o["total_taxes"] or [])
            off = sum(d["amount"] for d in o["total_discount_amounts"])
            assert o["total"] == line["amount"] - off + tax
            if o["status"] == "paid":
                assert o["amount_paid"] == o["total"]
    intervals = {o["items"]["data"][0]["price"]["recurring"]["interval"] for o in subs.values()}
    assert intervals == {"month", "year"}


def test_activation_drives_conversion(tiny_landing):
    """The behaviour that gives the metrics meaning: published sites convert more often."""
    landing, _ = tiny_landing
    with sqlite3.connect(landing / "app.db") as conn:
        rows = conn.execute(
            "select a.billing_interval is not null, s.published_at is not null"
            " from accounts a left join portfolio_sites s on s.account_id = a.id"
            " where a.signed_up_at < '2026-04-20'"
        ).fetchall()
    conv = {pub: [c for c, p in rows if p == pub] for pub in (0, 1)}
    rate = {k: sum(v) / len(v) for k, v in conv.items() if v}
    assert rate[1] > rate[0] + 0.2, rate
