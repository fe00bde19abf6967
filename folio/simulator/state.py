"""The one state every part of the simulator reads and changes.

:class:`SimState` holds the random streams, the app-DB rows, the Stripe objects and Segment
messages waiting to be written, and the counters of the summary; :class:`Account` holds what
one customer is doing. Both are plain data: the behaviour lives in the billing, product,
segment, traffic and defects modules, which take the state explicitly.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from folio.simulator.catalog import (
    DEFECT_RATES,
    DRIFT_FRACTION,
    PRO_PRICE_CHANGE_FRACTION,
    drift_day,
)
from folio.simulator.clock import day_ms
from folio.simulator.landing import Manifest
from folio.simulator.params import SimParams

# a Segment message waiting for the day it is received:
# (received ms, queue order, stream, message, defects, protected from line defects, bot)
Queued = tuple[int, int, str, dict[str, Any], list, bool, bool]


def uuid_from(rng: random.Random) -> str:
    """A version-4 UUID drawn from ``rng`` (uuid4() would not be reproducible)."""
    digits = f"{rng.getrandbits(128):032x}"
    return f"{digits[:8]}-{digits[8:12]}-4{digits[13:16]}-{digits[16:20]}-{digits[20:]}"


def poisson(rng: random.Random, lam: float) -> int:
    """A Poisson draw (Knuth's method; a rounded normal for large means, for speed)."""
    if lam <= 0:
        return 0
    if lam > 30:
        return max(0, round(rng.gauss(lam, math.sqrt(lam))))
    limit, k, product = math.exp(-lam), 0, 1.0
    while True:
        product *= rng.random()
        if product <= limit:
            return k
        k += 1


@dataclass
class Device:
    """A browser: what Segment's context says about the client, and how wrong its clock is."""

    anonymous_id: str
    user_agent: str
    ip: str
    skew_ms: int = 0


@dataclass
class Account:
    """One customer: its plan, its activation plan and progress, and its Stripe billing."""

    id: int
    rng: random.Random
    signup_ms: int
    channel: str
    country: str
    plan: str
    quality: float
    device: Device
    engagement: float = 0.0
    status: str = "prospect"
    interval: str | None = None
    owner_id: int = 0
    member_ids: list[int] = field(default_factory=list)
    members_target: int = 0
    site_id: int | None = None
    site_day: int = 0
    published: bool = False
    will_publish: bool = False
    publish_after: int = 0
    domain: bool = False
    images_target: int = 0
    live_images: list[int] = field(default_factory=list)
    images_uploaded: int = 0
    site_popularity: float = 0.0
    visitor_pool: list[str] = field(default_factory=list)
    # billing
    customer: dict[str, Any] | None = None
    subscription: dict[str, Any] | None = None
    trial_end_ms: int = 0
    period_end_ms: int = 0
    churn_ms: int | None = None
    retry_ms: int | None = None
    retry_n: int = 0
    open_invoice: dict[str, Any] | None = None
    plan_change_ms: int | None = None
    plan_change_to: str | None = None
    discount: dict[str, Any] | None = None
    discount_end_ms: int | None = None
    reactivate_ms: int | None = None
    ended_ms: int | None = None
    delete_ms: int | None = None
    deleted: bool = False


def _day_stream(seed: int, day: dt.date) -> random.Random:
    return random.Random(f"{seed}:day:{day.isoformat()}")


class SimState:
    """Everything one simulation knows; set up here in full, changed by the day loop."""

    def __init__(self, params: SimParams, landing: Path, manifest: Manifest) -> None:
        self.params = params
        self.landing = landing
        self.manifest = manifest
        # Random streams, each with its own seed so that one part's draws do not shift
        # another's: global (signup days, catalog ids, refunds), one per day (pages,
        # visitor traffic), one for line defects at write time. Each account has its own.
        self.rng = random.Random(f"{params.seed}:global")
        self.day_rng = _day_stream(params.seed, params.start)
        self.write_rng = random.Random(f"{params.seed}:write")
        self.rate = {k: v * params.defect_rate for k, v in DEFECT_RATES.items()}
        self.stripe_drift_day = drift_day(params.start, params.end, DRIFT_FRACTION)
        self.segment_drift_day = self.stripe_drift_day
        self.segment_drift_ms = day_ms(self.segment_drift_day)
        self.price_change_day = drift_day(params.start, params.end, PRO_PRICE_CHANGE_FRACTION)
        self.start_ms = day_ms(params.start)
        self.today = params.start  # the day being simulated (messages for earlier days: a bug)
        # the Stripe catalog and the app DB's plans, filled in on the first day
        self.products: dict[str, dict[str, Any]] = {}
        self.prices: dict[tuple[str, str], dict[str, Any]] = {}
        self.coupons: dict[str, dict[str, Any]] = {}
        self.plan_rows: list[dict[str, Any]] = []
        # Stripe objects changed today, by object type and id (exported at the day's end)
        self.stripe_changes: dict[str, dict[str, dict[str, Any]]] = {}
        self.pending_refunds: dict[dt.date, list[tuple[dict[str, Any], int]]] = {}
        # app DB: the last id given out per table, the rows written at the end, images in
        # batches (they are the bulk)
        self.last_id = {"user": 0, "site": 0, "image": 0, "invoice": 0}
        self.rows: dict[str, dict[int, dict[str, Any]]] = {
            "accounts": {},
            "users": {},
            "portfolio_sites": {},
        }
        self.new_images: list[dict[str, Any]] = []
        self.image_deletes: list[tuple[int, int, bool]] = []  # (image_id, ms, hard)
        # Segment messages by the day they are received; seq keeps equal times in order
        self.outbox: dict[dt.date, list[Queued]] = {}
        self.seq = 0
        self.skewed_devices: list[Device] = []
        self.bots: dict[str, dict[str, Any]] = {}
        # for the summary
        self.images_written = 0
        self.hard_deleted = 0
        self.messages_written = 0
        self.stripe_written = 0
        self.files_written = 0

    def begin_day(self, day: dt.date) -> None:
        """Make ``day`` the day being simulated, with its own random stream."""
        self.today = day
        self.day_rng = _day_stream(self.params.seed, day)

    def stripe_changed(self, kind: str, obj: dict[str, Any]) -> None:
        """Export ``obj`` (a Stripe object of type ``kind``) with today's changes."""
        self.stripe_changes.setdefault(kind, {})[obj["id"]] = obj
