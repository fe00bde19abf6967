"""The source simulator: Folio's app database, Stripe exports and Segment archive.

Deterministic for a seed and a date range. One loop over the days keeps the state of
every account (subscriptions, sites, engagement) in memory and streams what each day
produces: Stripe objects changed that day, Segment messages received that day, app-DB
rows. Memory is bounded by the number of accounts, not by the number of events.

Folio launches on the first simulated day: every account signs up inside the range.
This module runs the day loop and writes each day's files; signups, billing, product,
segment, traffic and defects hold what happens in a day, on one shared :class:`SimState`.
"""

from __future__ import annotations

import datetime as dt
import shutil
import time
from collections.abc import Callable
from dataclasses import asdict
from functools import partial
from pathlib import Path

import msgspec
import sqlalchemy as sa

from folio.contracts import appdb
from folio.simulator import billing, defects, pricing, product, signups, traffic
from folio.simulator.clock import DAY_MS, HOUR_MS, day_ms, iso_ms
from folio.simulator.landing import RUN_NAME, Manifest, PartWriter
from folio.simulator.params import SimParams, SimSummary
from folio.simulator.state import Account, SimState

__all__ = ["SimParams", "SimSummary", "iso_ms", "simulate"]

SEGMENT_FILE_PREFIXES = (("app", "folio-app"), ("sites", "portfolio-sites"))


def simulate(
    params: SimParams,
    landing: Path,
    app_db_url: str,
    progress: Callable[[int, int], None] | None = None,
) -> SimSummary:
    """Write the landing zone (Stripe, Segment, manifest) and the app DB for ``params``."""
    t0 = time.perf_counter()
    landing.mkdir(parents=True, exist_ok=True)
    engine = appdb.connect(app_db_url)
    for sub in ("stripe", "segment", "_manifest"):
        shutil.rmtree(landing / sub, ignore_errors=True)
    landing.mkdir(parents=True, exist_ok=True)
    appdb.recreate(engine)
    state = SimState(params, landing, Manifest(landing / "_manifest" / "defects.jsonl"))
    defects.record_schema_drift(state)
    days = params.days()
    accounts = signups.plan_signups(state)
    pricing.open_catalog(state, day_ms(days[0]))
    with engine.begin() as conn:
        _run_days(state, conn, days, accounts, progress)
        product.write_rows(state, conn)
    engine.dispose()
    defects.record_clients(state)
    state.manifest.close()
    return _summarise(state, time.perf_counter() - t0)


def _run_days(
    state: SimState,
    conn: sa.Connection,
    days: list[dt.date],
    accounts: list[Account],
    progress: Callable[[int, int], None] | None,
) -> None:
    live: list[Account] = []
    next_signup = 0
    for i, day in enumerate(days):
        state.begin_day(day)
        day_start = day_ms(day)
        day_end = day_start + DAY_MS
        if day == state.price_change_day:
            pricing.change_pro_price(state, day_start + 9 * HOUR_MS)
        while next_signup < len(accounts) and accounts[next_signup].signup_ms < day_end:
            account = accounts[next_signup]
            signups.signup(state, account, account.signup_ms)
            live.append(account)
            next_signup += 1
        for account in live:
            if account.deleted:
                continue
            billing.advance(state, account, day_end)
            if account.delete_ms and account.delete_ms < day_end and account.status == "canceled":
                product.delete_account(state, account, account.delete_ms)
                continue
            product.daily_activity(state, account, day, day_start)
        billing.issue_refunds(state, day)
        published = [acc for acc in live if acc.published and not acc.deleted]
        traffic.site_traffic(state, published, day, day_start)
        _write_day(state, day)
        if i % 30 == 29 or i == len(days) - 1:
            product.flush_images(state, conn)
        if progress:
            progress(i + 1, len(days))


def _write_day(state: SimState, day: dt.date) -> None:
    """Export the day's Stripe changes and the Segment messages received that day."""
    landing, manifest = state.landing, state.manifest
    dt_dir = f"dt={day.isoformat()}"
    damage_stripe = partial(defects.damage_stripe_line, state)
    for kind, objs in state.stripe_changes.items():
        writer = PartWriter(landing / "stripe" / kind / dt_dir, kind, landing, manifest)
        for obj in objs.values():
            writer.write(obj, corrupt=damage_stripe)
        writer.close()
        state.stripe_written += writer.lines_total
        state.files_written += writer.part + 1
    state.stripe_changes = {}
    queued = state.outbox.pop(day, [])
    queued.sort(key=lambda x: (x[0], x[1]))
    segment_dir = landing / "segment" / dt_dir
    writers = {
        stream: PartWriter(segment_dir, prefix, landing, manifest)
        for stream, prefix in SEGMENT_FILE_PREFIXES
    }
    damage_segment = partial(defects.damage_segment_line, state)
    for _, _, stream, msg, msg_defects, protect, bot in queued:
        writers[stream].write(msg, msg_defects, None if protect else damage_segment)
        if bot:
            state.bots[msg["anonymousId"]]["messages"] += 1
    for writer in writers.values():
        writer.close()
        state.messages_written += writer.lines_total
        state.files_written += writer.part + 1
    # the exporter's last act: the day is complete (what the pipeline's sensor checks)
    for source in ("stripe", "segment"):
        mark = landing / source / "_delivered" / day.isoformat()
        mark.parent.mkdir(parents=True, exist_ok=True)
        mark.touch()


def _summarise(state: SimState, seconds: float) -> SimSummary:
    """The run's summary, also written to the landing zone for later stages."""
    params = state.params
    nbytes = sum(p.stat().st_size for p in state.landing.rglob("*.jsonl.gz"))
    summary = SimSummary(
        params={**asdict(params), "start": params.start.isoformat(), "end": params.end.isoformat()},
        seconds=round(seconds, 2),
        segment_messages=state.messages_written,
        stripe_objects=state.stripe_written,
        app_rows={
            "plans": len(state.plan_rows),
            "accounts": len(state.rows["accounts"]),
            "users": len(state.rows["users"]),
            "portfolio_sites": len(state.rows["portfolio_sites"]),
            "images": state.images_written - state.hard_deleted,
        },
        defects=dict(sorted(state.manifest.counts.items())),
        files=state.files_written,
        bytes=nbytes,
    )
    (state.landing / RUN_NAME).write_bytes(
        msgspec.json.format(msgspec.json.encode(asdict(summary)))
    )
    return summary
