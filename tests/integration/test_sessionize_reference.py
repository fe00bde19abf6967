"""The Spark job against its DuckDB SQL reference on generated edge cases: same sessions."""

from __future__ import annotations

import datetime as dt
import gzip
import json
import random

import duckdb
import pytest

from folio.events.reference import reference_sessions
from spark_jobs.sessionize import Params, run

pytestmark = [pytest.mark.slow, pytest.mark.spark]

D1, D2 = dt.date(2026, 6, 1), dt.date(2026, 6, 2)
BASE = dt.datetime(2026, 6, 1)

COLS = {
    "site_sessions": "session_id, site_id, anonymous_id, started_at, ended_at, duration_seconds,"
    " event_count, page_count, entry_page, referrer, utm_campaign, dt",
    "app_sessions": "session_id, user_id, anonymous_id, account_id, started_at, ended_at,"
    " duration_seconds, event_count, page_count, entry_page, referrer, utm_campaign, dt",
}


def iso(t: dt.datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"


def message(rng, n, at, anon, kind="page", user=None, site=None, skew_s=0, delay_s=1, **ctx):
    orig = at + dt.timedelta(seconds=skew_s)
    # a late delivery: the device sent late (offline); the network adds ~a second
    sent = orig + dt.timedelta(
        seconds=delay_s - 1, milliseconds=ctx.get("send_ms") or rng.randint(10, 900)
    )
    received = at + dt.timedelta(seconds=delay_s)
    m = {
        "messageId": f"m{n:06d}",
        "type": kind,
        "anonymousId": anon,
        "userId": user,
        "originalTimestamp": iso(orig),
        "sentAt": iso(sent),
        "receivedAt": iso(received),
        "timestamp": iso(received - (sent - orig)),
        "context": {
            "userAgent": ctx.get("ua", "Mozilla/5.0 (X11; Linux x86_64)"),
            "page": {"path": ctx.get("path", "/"), "referrer": ctx.get("referrer", "")},
        },
        "properties": {"site_id": site} if site else {"account_id": "9"},
    }
    if ctx.get("campaign"):
        m["context"]["campaign"] = {"name": ctx["campaign"], "source": "ig", "medium": "social"}
    if kind == "track":
        m["event"] = "Image Uploaded"
    return m


def generate(rng: random.Random):
    """Messages with the edge cases, plus a random crowd; (stream, message) pairs."""
    out = []
    n = iter(range(1_000_000))
    at = BASE + dt.timedelta(hours=23)  # 23:00 on D1
    # 29 minutes: the same session; 31: a new one, across midnight; exactly 30: a new one
    for minutes in (0, 29, 60, 90):
        out.append(
            (
                "sites",
                message(
                    rng,
                    next(n),
                    at + dt.timedelta(minutes=minutes),
                    "v1",
                    site="7",
                    path=f"/p{minutes}",
                    campaign="spring",
                    send_ms=500,  # exact gaps: event time = at + 0.5 s
                ),
            )
        )
    # a duplicate delivered again 20 hours later (D2), and out-of-order arrival
    dup = message(rng, next(n), BASE + dt.timedelta(hours=10), "v2", site="7", path="/a")
    again = dict(dup, receivedAt=iso(BASE + dt.timedelta(hours=30)))
    out += [("sites", dup), ("sites", again)]
    out.append(
        (
            "sites",
            message(
                rng,
                next(n),
                BASE + dt.timedelta(hours=10, minutes=5),
                "v2",
                site="7",
                path="/b",
                delay_s=40_000,
            ),
        )
    )  # arrives on D2
    # a skewed device clock (a day behind): the corrected time keeps the session together
    for k in range(3):
        out.append(
            (
                "sites",
                message(
                    rng,
                    next(n),
                    BASE + dt.timedelta(hours=12, minutes=10 * k),
                    "v3",
                    site="8",
                    skew_s=-86_400,
                ),
            )
        )
    # an app user: anonymous first, then identified, then signed in
    t = BASE + dt.timedelta(hours=8)
    out.append(("app", message(rng, next(n), t, "dev1", path="/signup")))
    out.append(
        ("app", message(rng, next(n), t + dt.timedelta(minutes=2), "dev1", "identify", user="42"))
    )
    out.append(
        ("app", message(rng, next(n), t + dt.timedelta(minutes=3), "dev1", "track", user="42"))
    )
    # a crawler and a fast client (bots: kept out of sessions)
    out.append(
        (
            "sites",
            message(
                rng,
                next(n),
                BASE + dt.timedelta(hours=5),
                "bot1",
                site="7",
                ua="Mozilla/5.0 (compatible; bingbot/2.0)",
            ),
        )
    )
    for k in range(40):
        out.append(
            (
                "sites",
                message(rng, next(n), BASE + dt.timedelta(hours=6, seconds=k), "fast", site="9"),
            )
        )
    # the crowd: visitors with random gaps around the 30-minute edge
    for v in range(150):
        t = BASE + dt.timedelta(minutes=rng.randint(0, 2400))
        site = str(rng.randint(1, 12))
        for _ in range(rng.randint(1, 8)):
            out.append(
                (
                    "sites",
                    message(
                        rng,
                        next(n),
                        t,
                        f"c{v}",
                        site=site,
                        path=rng.choice(["/", "/gallery", "/about"]),
                        referrer=rng.choice(["", "https://www.google.com/"]),
                        delay_s=rng.choice([1, 1, 1, 7200]),
                    ),
                )
            )
            t += dt.timedelta(
                minutes=rng.choice([1, 5, 29, 30, 31, 45]), seconds=rng.randint(0, 59)
            )
    for u in range(40):
        t = BASE + dt.timedelta(minutes=rng.randint(0, 2400))
        for _ in range(rng.randint(1, 10)):
            out.append(
                (
                    "app",
                    message(
                        rng,
                        next(n),
                        t,
                        f"d{u}",
                        rng.choice(["page", "track"]),
                        user=str(100 + u) if rng.random() < 0.7 else None,
                    ),
                )
            )
            t += dt.timedelta(minutes=rng.choice([2, 10, 29, 31, 50]))
    return out


def write_landing(root, msgs, rng):
    """Files by arrival day and stream, lines shuffled (out-of-order delivery)."""
    by_file: dict[tuple[dt.date, str], list[str]] = {}
    for stream, m in msgs:
        day = dt.date.fromisoformat(m["receivedAt"][:10])
        by_file.setdefault((day, stream), []).append(json.dumps(m))
    files = []
    for (day, stream), lines in by_file.items():
        rng.shuffle(lines)
        prefix = "portfolio-sites" if stream == "sites" else "folio-app"
        path = root / "segment" / f"dt={day}" / f"{prefix}-00000.jsonl.gz"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(gzip.compress(("\n".join(lines) + "\n").encode()))
        files.append(str(path))
    return sorted(files)


def test_spark_sessions_equal_the_duckdb_reference(spark, tmp_path):
    rng = random.Random(7)
    msgs = generate(rng)
    landing, lake = tmp_path / "landing", tmp_path / "lake"
    files = write_landing(landing, msgs, rng)
    assert {dt.date.fromisoformat(m["receivedAt"][:10]) for _, m in msgs} == {D1, D2}
    run(spark, str(landing), str(lake), Params(start=D1, end=D2, lookback_days=0))
    ref = reference_sessions(files)
    for table, cols in COLS.items():
        got = duckdb.sql(
            f"select {cols} from read_parquet('{lake}/events/{table}/*/*.parquet',"
            " hive_partitioning = true) order by session_id"
        ).fetchall()
        want = ref[table].query("s", f"select {cols} from s order by session_id").fetchall()
        assert len(got) == len(want) > 5, table
        assert got == want, table
    sites = {
        r[0]: r
        for r in duckdb.sql(
            f"select anonymous_id, count(*) from read_parquet('{lake}/events/site_sessions/*/*"
            ".parquet') group by 1"
        ).fetchall()
    }
    assert sites["v1"][1] == 3  # 29 min: one session; 31 and 30 min: two more
    assert sites["v2"][1] == 1  # the duplicate and the late arrival: one session
    assert sites["v3"][1] == 1  # the skewed clock: one session
    assert "bot1" not in sites and "fast" not in sites
