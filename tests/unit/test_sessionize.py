"""The Spark steps of spark_jobs.sessionize on tiny hand-made frames."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from spark_jobs import lake_io
from spark_jobs import sessionize as S

pytestmark = pytest.mark.spark

T0 = dt.datetime(2026, 6, 1, 23, 0)


def iso(t: dt.datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"


def msg(mid: str, at: dt.datetime, kind: str = "page", anon: str = "a1", user=None, **kw):
    """A Segment message sent at ``at`` (device clock off by ``skew``), received 1 s later."""
    skew = kw.pop("skew", dt.timedelta(0))
    delay = kw.pop("delay", dt.timedelta(seconds=1))
    m = {
        "messageId": mid,
        "type": kind,
        "anonymousId": anon,
        "userId": user,
        "originalTimestamp": iso(at + skew),
        "sentAt": iso(at + skew + dt.timedelta(milliseconds=500)),
        "receivedAt": iso(at + delay),
        "timestamp": iso(at + delay - dt.timedelta(milliseconds=500)),
        "context": {
            "userAgent": kw.pop("ua", "Mozilla/5.0 (Macintosh)"),
            "page": {"path": kw.pop("path", "/"), "referrer": kw.pop("referrer", "")},
        },
        "properties": kw.pop("properties", {}),
    }
    if kind == "track":
        m["event"] = kw.pop("event", "Signed In")
    m.update(kw)
    return m


def lines(spark, msgs, stream="app", day=dt.date(2026, 6, 1), file=None):
    rows = [
        (
            m if isinstance(m, str) else json.dumps(m),
            file
            or f"segment/dt={day}/{'folio-app' if stream == 'app' else 'portfolio-sites'}-0.gz",
            day,
            stream,
            i,
        )
        for i, m in enumerate(msgs)
    ]
    return spark.createDataFrame(
        rows, "value string, source_file string, arrival_date date, stream string, line_id long"
    )


def test_parse_gives_each_bad_line_its_reason(spark):
    good = msg("m1", T0)
    no_id = {k: v for k, v in msg("m2", T0).items() if k != "messageId"}
    no_ids = msg("m3", T0) | {"anonymousId": None}
    no_event = {k: v for k, v in msg("m4", T0, "track").items() if k != "event"}
    bad_time = msg("m5", T0) | {"timestamp": "yesterday"}
    odd_type = msg("m6", T0) | {"type": "alias"}
    df = S.parse(
        lines(spark, [good, '{"messageId": "m7", "ty', no_id, no_ids, no_event, bad_time, odd_type])
    )
    got = {r["line_id"]: r["reason"] for r in df.collect()}
    assert got == {
        0: None,
        1: "unparseable JSON",
        2: "missing required field messageId",
        3: "missing required field anonymousId|userId",
        4: "missing required field event",
        5: "unparseable timestamp",
        6: "unknown message type",
    }


def test_event_time_corrects_client_clock_skew(spark):
    skewed = msg("m1", T0, skew=dt.timedelta(hours=-30))  # the device thinks it is yesterday
    df = S.event_times(S.parse(lines(spark, [skewed])))
    r = df.collect()[0]
    assert r["event_at"] == T0 + dt.timedelta(milliseconds=500)  # received - network time
    assert r["event_date"] == T0.date()
    assert round(r["clock_skew_seconds"]) == -30 * 3600


def test_deduplicate_keeps_the_first_delivery(spark):
    first = msg("m1", T0)
    again = msg("m1", T0, delay=dt.timedelta(hours=20))  # a retried batch, received later
    df = S.deduplicate(S.event_times(S.parse(lines(spark, [again, first]))))
    rows = df.collect()
    assert len(rows) == 1 and rows[0]["received_at"] == T0 + dt.timedelta(seconds=1)


def test_bots_by_user_agent_and_by_rate(spark):
    human = [msg(f"h{i}", T0 + dt.timedelta(seconds=20 * i), anon="human") for i in range(29)]
    crawler = [msg("c1", T0, anon="crawler", ua="Mozilla/5.0 (compatible; Googlebot/2.1)")]
    fast = [msg(f"f{i}", T0 + dt.timedelta(seconds=i), anon="fast") for i in range(30)]
    df = S.flag_bots(S.event_times(S.parse(lines(spark, human + crawler + fast))), 30)
    flags = {r["anonymousId"]: r["is_bot"] for r in df.select("anonymousId", "is_bot").collect()}
    assert flags == {"human": False, "crawler": True, "fast": True}


def test_anonymous_activity_is_stitched_to_the_user_identified_later(spark):
    msgs = [
        msg("m1", T0, anon="dev1"),  # before signing in
        msg("m2", T0 + dt.timedelta(minutes=5), "identify", anon="dev1", user="42"),
        msg("m3", T0 + dt.timedelta(minutes=6), anon="dev2"),  # never identified
    ]
    ev = S.event_times(S.parse(lines(spark, msgs)))
    out = S.stitch(ev, S.identities(ev))
    got = {r["messageId"]: r["stitched_user_id"] for r in out.collect()}
    assert got == {"m1": "42", "m2": "42", "m3": None}


def _events(spark, msgs, stream="sites"):
    ev = S.flag_bots(S.event_times(S.parse(lines(spark, msgs, stream))), 30)
    return S.clean(S.stitch(ev, S.identities(ev)))


def test_sessions_split_on_thirty_minutes_and_cross_midnight(spark):
    site = {"properties": {"site_id": "7"}}
    gaps = [0, 29, 29 + 31, 29 + 31 + 30]  # minutes after T0 (23:00): 29 in, 31 out, 30 out
    msgs = [
        msg(f"m{i}", T0 + dt.timedelta(minutes=g), anon="v1", path=f"/p{i}", **site)
        for i, g in enumerate(gaps)
    ]
    msgs[0]["context"]["page"]["referrer"] = "https://www.instagram.com/"
    sessions = S.site_sessions(_events(spark, msgs), 30).orderBy("started_at").collect()
    assert [(s["page_count"], s["entry_page"]) for s in sessions] == [
        (2, "/p0"),
        (1, "/p2"),
        (1, "/p3"),
    ]
    first = sessions[0]
    assert first["duration_seconds"] == 29 * 60 and not first["is_bounce"]
    assert first["referrer"] == "https://www.instagram.com/"
    assert first["dt"] == T0.date()  # 23:00-23:29
    assert sessions[1]["dt"] == dt.date(2026, 6, 2)  # 00:00 the next day
    assert sessions[2]["is_bounce"]


def test_bots_are_kept_as_events_but_not_in_sessions(spark):
    site = {"properties": {"site_id": "7"}}
    msgs = [msg("h", T0, anon="v1", **site)] + [
        msg(f"b{i}", T0, anon="bot", ua="python-requests/2.32", **site) for i in range(3)
    ]
    ev = _events(spark, msgs)
    assert ev.where("is_bot").count() == 3
    sessions = S.site_sessions(ev, 30)
    traffic = S.site_traffic_daily(sessions, ev).collect()
    assert sessions.count() == 1
    assert [(t["visitors"], t["page_views"], t["bot_page_views"]) for t in traffic] == [(1, 1, 3)]


def test_out_of_order_arrival_gives_the_same_sessions(spark):
    site = {"properties": {"site_id": "7"}}
    msgs = [msg(f"m{i}", T0 + dt.timedelta(minutes=10 * i), anon="v1", **site) for i in range(4)]
    in_order = S.site_sessions(_events(spark, msgs), 30).drop("session_id").collect()
    shuffled = [msgs[2], msgs[0], msgs[3], msgs[1]]
    again = S.site_sessions(_events(spark, shuffled), 30).drop("session_id").collect()
    assert in_order == again and in_order[0]["page_count"] == 4


def test_a_killed_runs_staging_is_removed_by_a_later_run(spark, tmp_path):
    import os
    import time

    now = int(time.time())
    old, young = tmp_path / f"segment-{now - 7 * 3600}-ab12", tmp_path / f"segment-{now}-cd34"
    # an older run's folder, named without its start time: its newest file's time tells
    unnamed_old, unnamed_young = tmp_path / "segment-old", tmp_path / "segment-young"
    for d in (old, young, unnamed_old, unnamed_young):
        (d / "part").mkdir(parents=True)
        (d / "part" / "f.parquet").write_bytes(b"x")
    past = now - 7 * 3600
    for p in (unnamed_old, unnamed_old / "part", unnamed_old / "part" / "f.parquet"):
        os.utime(p, (past, past))
    os.utime(unnamed_young, (past, past))  # an old folder with a new file: still in use
    lake_io.remove_stale_staging(lake_io.Files(spark), str(tmp_path))
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([young.name, unnamed_young.name])


@pytest.mark.slow  # 20-40 s: not in `make check`
def test_a_day_with_app_events_only_has_no_site_sessions_and_no_error(spark, tmp_path):
    """No portfolio visitor that day: site sessions and traffic are zero, not a schema error."""
    import gzip

    day = T0.date()
    folder = tmp_path / "landing" / "segment" / f"dt={day}"
    folder.mkdir(parents=True)
    msgs = [
        msg("u1", T0.replace(hour=10), kind="track", user="7", properties={"account_id": "7"}),
        msg("u2", T0.replace(hour=10, minute=5), kind="track", user="7"),
    ]
    with gzip.open(folder / "folio-app-00000.jsonl.gz", "wt") as fh:
        fh.writelines(json.dumps(m) + "\n" for m in msgs)
    stats = S.run(spark, str(tmp_path / "landing"), str(tmp_path / "lake"), S.Params(day, day, 0))
    assert stats["outputs"]["clean_events"] == {str(day): 2}
    assert stats["outputs"]["app_sessions"] == {str(day): 1}
    assert stats["outputs"]["site_sessions"] == {str(day): 0}
    assert stats["outputs"]["site_traffic_daily"] == {str(day): 0}
    assert not (tmp_path / "lake" / "_staging").exists() or not any(
        (tmp_path / "lake" / "_staging").iterdir()
    )


@pytest.mark.slow  # 20-40 s: not in `make check`
def test_a_copy_of_a_message_placed_by_an_earlier_run_is_a_duplicate(spark, tmp_path):
    """Day by day or as one range: the same clean events (a regression: the second day's
    run used to place a re-delivered copy whose first copy an earlier run had placed)."""
    import gzip

    d1, d2 = dt.date(2026, 6, 1), dt.date(2026, 6, 2)
    first = msg("dup", dt.datetime(2026, 6, 1, 10))
    # the same message delivered again a day later (sentAt unchanged: its time moves)
    again = msg("dup", dt.datetime(2026, 6, 1, 10), delay=dt.timedelta(days=1))
    days = {d1: [first, msg("m1", dt.datetime(2026, 6, 1, 11))], d2: [again, msg("m2", dt.datetime(2026, 6, 2, 9))]}  # fmt: skip
    landing = tmp_path / "landing"
    for day, msgs in days.items():
        folder = landing / "segment" / f"dt={day}"
        folder.mkdir(parents=True)
        with gzip.open(folder / "folio-app-00000.jsonl.gz", "wt") as fh:
            fh.writelines(json.dumps(m) + "\n" for m in msgs)

    def clean_events(lake):
        rows = spark.read.parquet(f"{lake}/events/clean_events").select("message_id", "dt")
        return sorted((r["message_id"], r["dt"]) for r in rows.collect())

    S.run(spark, str(landing), str(tmp_path / "range"), S.Params(d1, d2, 0))
    S.run(spark, str(landing), str(tmp_path / "daily"), S.Params(d1, d1, 0))
    second = S.run(spark, str(landing), str(tmp_path / "daily"), S.Params(d2, d2, 0))
    assert clean_events(tmp_path / "daily") == clean_events(tmp_path / "range")
    assert [m for m, _ in clean_events(tmp_path / "daily")].count("dup") == 1
    assert second["duplicates"] == 1
