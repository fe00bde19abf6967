"""The source simulator: Folio's app database, Stripe exports and Segment archive.

Deterministic for a seed and a date range. One loop over the days keeps the state of
every account (subscriptions, sites, engagement) in memory and streams what each day
produces: Stripe objects changed that day, Segment messages received that day, app-DB
rows. Memory is bounded by the number of accounts, not by the number of events.

Folio launches on the first simulated day: every account signs up inside the range.
"""

from __future__ import annotations

import calendar
import datetime as dt
import math
import random
import shutil
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import msgspec
import sqlalchemy as sa

from folio.contracts import appdb
from folio.simulator import stripe_objects as so
from folio.simulator.catalog import (
    APP_PAGES,
    BOT_USER_AGENTS,
    CAMPAIGNS,
    CHANNELS,
    COUNTRIES,
    COUPONS,
    DEFECT_RATES,
    DRIFT_FRACTION,
    HUMAN_USER_AGENTS,
    MARKETING_PAGES,
    PLAN_BY_CODE,
    PLANS,
    PRO_MONTHLY_AFTER_CHANGE,
    PRO_PRICE_CHANGE_FRACTION,
    REFERRERS,
    SEGMENT_DRIFT,
    SITE_PAGES,
    STRIPE_DRIFT,
    THEMES,
    UNKNOWN_TRACK_EVENTS,
    VAT_COUNTRIES,
    drift_day,
)
from folio.simulator.landing import RUN_NAME, Manifest, PartWriter, truncate_json
from folio.simulator.params import SimParams, SimSummary

DAY_MS = 86_400_000
MIN_MS = 60_000
TRIAL_DAYS = 14
FIRST = (
    "Ada",
    "Ben",
    "Chloe",
    "Dev",
    "Emma",
    "Felix",
    "Grace",
    "Hugo",
    "Iris",
    "Jonas",
    "Kai",
    "Lena",
    "Mateo",
    "Nora",
    "Omar",
    "Pia",
    "Quinn",
    "Rosa",
    "Sven",
    "Tara",
)
LAST = (
    "Almeida",
    "Brooks",
    "Chen",
    "Dubois",
    "Eriksen",
    "Fischer",
    "Garcia",
    "Haas",
    "Ito",
    "Jensen",
    "Kowalski",
    "Lopez",
    "Moreau",
    "Novak",
    "Okafor",
    "Park",
)
MONTH_SEASON = (1.1, 1.0, 1.2, 1.3, 1.3, 1.1, 0.9, 0.9, 1.1, 1.0, 0.9, 0.7)
HOUR_WEIGHTS = (1, 1, 1, 1, 1, 2, 3, 5, 7, 8, 8, 8, 7, 8, 8, 8, 8, 7, 7, 8, 8, 6, 4, 2)


def day_ms(d: dt.date) -> int:
    return calendar.timegm(d.timetuple()) * 1000


_DAY_PREFIX: dict[int, str] = {}


def iso(ms: int) -> str:
    """ISO 8601 UTC with milliseconds, as Segment writes it (hot path: no datetime objects)."""
    s, r = divmod(ms, 1000)
    d, sec = divmod(s, 86_400)
    prefix = _DAY_PREFIX.get(d)
    if prefix is None:
        prefix = _DAY_PREFIX[d] = time.strftime("%Y-%m-%d", time.gmtime(d * 86_400))
    h, rem = divmod(sec, 3600)
    m, s2 = divmod(rem, 60)
    return f"{prefix}T{h:02d}:{m:02d}:{s2:02d}.{r:03d}Z"


def as_dt(ms: int) -> dt.datetime:
    return dt.datetime(1970, 1, 1) + dt.timedelta(milliseconds=ms)


def segment_timestamp(received: int, sent_device: int, original_device: int) -> int:
    """Segment's clock-skew correction: receivedAt - (sentAt - originalTimestamp)."""
    return received - (sent_device - original_device)


def uuid_from(rng: random.Random) -> str:
    h = f"{rng.getrandbits(128):032x}"
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{h[16:20]}-{h[20:]}"


def poisson(rng: random.Random, lam: float) -> int:
    if lam <= 0:
        return 0
    if lam > 30:
        return max(0, round(rng.gauss(lam, math.sqrt(lam))))
    limit, k, p = math.exp(-lam), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


@dataclass
class Device:
    anon: str
    ua: str
    ip: str
    skew_ms: int = 0


@dataclass
class Account:
    idx: int
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
    cus: dict[str, Any] | None = None
    sub: dict[str, Any] | None = None
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


class Simulator:
    def __init__(
        self,
        params: SimParams,
        landing: Path,
        app_db_url: str,
        progress: Callable[[int, int], None] | None = None,
    ) -> None:
        self.p = params
        self.landing = landing
        self.app_db_url = app_db_url
        self.progress = progress
        self.r = random.Random(f"{params.seed}:global")
        self.rate = {k: v * params.defect_rate for k, v in DEFECT_RATES.items()}
        self.stripe_drift_day = drift_day(params.start, params.end, DRIFT_FRACTION)
        self.segment_drift_day = self.stripe_drift_day
        self.segment_drift_ms = day_ms(self.segment_drift_day)
        self.price_change_day = drift_day(params.start, params.end, PRO_PRICE_CHANGE_FRACTION)
        self.ids = {"user": 0, "site": 0, "image": 0, "invoice": 0}
        self.rows: dict[str, dict[int, dict[str, Any]]] = {
            "accounts": {},
            "users": {},
            "portfolio_sites": {},
        }
        self.image_buffer: list[dict[str, Any]] = []
        self.image_deletes: list[tuple[int, int, bool]] = []  # (image_id, ms, hard)
        self.images_written = 0
        self.hard_deleted = 0
        self.dirty: dict[str, dict[str, dict[str, Any]]] = {}
        self.outbox: dict[dt.date, list[tuple[int, int, str, dict[str, Any], list, bool]]] = {}
        self.today = params.start  # the day being simulated (messages for earlier days: a bug)
        self.seq = 0
        self.skewed_devices: list[Device] = []
        self.bots: dict[str, dict[str, Any]] = {}
        self.messages_written = 0
        self.stripe_written = 0
        self.files_written = 0

    # ------------------------------------------------------------------ set-up
    def _new_device(self, rng: random.Random) -> Device:
        dev = Device(
            anon=uuid_from(rng),
            ua=rng.choice(HUMAN_USER_AGENTS),
            ip=f"{rng.randint(11, 223)}.{rng.randint(0, 255)}."
            f"{rng.randint(0, 255)}.{rng.randint(1, 254)}",
        )
        if rng.random() < self.rate["clock_skew_device"]:
            mag = rng.choice(
                (
                    rng.randint(2, 59) * MIN_MS,
                    rng.randint(1, 23) * 60 * MIN_MS,
                    rng.randint(1, 3) * DAY_MS,
                )
            )
            dev.skew_ms = mag if rng.random() < 0.5 else -mag
            self.skewed_devices.append(dev)
        return dev

    def _plan_signups(self) -> list[Account]:
        days = self.p.days()
        n = len(days)
        weights = [
            (1.0 + 1.5 * i / max(1, n - 1))
            * MONTH_SEASON[d.month - 1]
            * (0.8 if d.weekday() >= 5 else 1.1)
            for i, d in enumerate(days)
        ]
        chosen = sorted(self.r.choices(range(n), weights=weights, k=self.p.accounts))
        channels = list(CHANNELS)
        ch_w = [CHANNELS[c][0] for c in channels]
        accounts = []
        for idx, di in enumerate(chosen, start=1):
            rng = random.Random(f"{self.p.seed}:account:{idx}")
            hour = rng.choices(range(24), weights=HOUR_WEIGHTS)[0]
            signup = day_ms(days[di]) + hour * 3_600_000 + rng.randrange(3_600_000)
            channel = rng.choices(channels, weights=ch_w)[0]
            country = rng.choices([c for c, _ in COUNTRIES], weights=[w for _, w in COUNTRIES])[0]
            plan = rng.choices(("starter", "pro", "studio"), weights=(0.5, 0.38, 0.12))[0]
            quality = min(1.0, rng.betavariate(2.2, 2.0) * CHANNELS[channel][1])
            acc = Account(
                idx=idx,
                rng=rng,
                signup_ms=signup,
                channel=channel,
                country=country,
                plan=plan,
                quality=quality,
                device=self._new_device(rng),
            )
            acc.engagement = 0.12 + 0.6 * quality
            accounts.append(acc)
        return accounts

    def _catalog(self, start_ms: int) -> None:
        r = self.r
        t = start_ms // 1000
        self.products, self.prices = {}, {}
        for plan in PLANS:
            prod = so.product(so.stripe_id(r, "prod"), plan.name, t)
            self.products[plan.code] = prod
            self._dirty("product", prod)
            for interval, amount in (("month", plan.monthly_cents), ("year", plan.yearly_cents)):
                pr = so.price(
                    so.stripe_id(r, "price"),
                    prod["id"],
                    amount,
                    interval,
                    t,
                    f"{plan.code}_{interval}ly",
                )
                self.prices[(plan.code, interval)] = pr
                self._dirty("price", pr)
        self.coupons = {}
        for cid, pct, amt, dur, months in COUPONS:
            c = so.coupon(cid, pct, amt, dur, months, t)
            self.coupons[cid] = c
            self._dirty("coupon", c)
        created = as_dt(start_ms)
        self.plan_rows = [
            {
                "id": p.plan_id,
                "code": p.code,
                "name": p.name,
                "monthly_price_cents": p.monthly_cents,
                "yearly_price_cents": p.yearly_cents,
                "max_images": p.max_images,
                "created_at": created,
                "updated_at": created,
            }
            for p in PLANS
        ]

    def _change_pro_price(self, ms: int) -> None:
        old = self.prices[("pro", "month")]
        old["active"] = False
        self._dirty("price", old)
        new = so.price(
            so.stripe_id(self.r, "price"),
            old["product"],
            PRO_MONTHLY_AFTER_CHANGE,
            "month",
            ms // 1000,
            "pro_monthly",
        )
        old["lookup_key"] = None
        self.prices[("pro", "month")] = new
        self._dirty("price", new)
        prod = self.products["pro"]
        prod["updated"] = ms // 1000
        self._dirty("product", prod)
        row = next(r for r in self.plan_rows if r["code"] == "pro")
        row["monthly_price_cents"] = PRO_MONTHLY_AFTER_CHANGE
        row["updated_at"] = as_dt(ms)

    # ------------------------------------------------------------------ Stripe state
    def _dirty(self, obj: str, o: dict[str, Any]) -> None:
        self.dirty.setdefault(obj, {})[o["id"]] = o

    def _start_subscription(self, a: Account, ms: int, trial: bool) -> None:
        r = a.rng
        interval = "month" if trial else (a.interval or "month")
        pr = self.prices[(a.plan, interval)]
        sub_id = so.stripe_id(r, "sub")
        t = ms // 1000
        if trial:
            a.trial_end_ms = ms + TRIAL_DAYS * DAY_MS
            period = (t, a.trial_end_ms // 1000)
        else:
            a.period_end_ms = self._add_period(ms, interval)
            period = (t, a.period_end_ms // 1000)
        item = so.subscription_item(so.stripe_id(r, "si"), sub_id, pr, 1, t, *period)
        a.sub = so.subscription(
            sub_id,
            a.cus["id"],
            a.idx,
            item,
            t,
            t if trial else None,
            period[1] if trial else None,
            "trialing" if trial else "active",
        )
        if as_dt(ms).date() >= self.stripe_drift_day:
            a.sub[STRIPE_DRIFT[1]] = {"type": "classic"}
        a.status = a.sub["status"]
        self._dirty("subscription", a.sub)
        if not trial:
            self._invoice(a, ms, "subscription_create", *period)

    @staticmethod
    def _add_period(ms: int, interval: str) -> int:
        d = as_dt(ms)
        if interval == "year":
            y, m = d.year + 1, d.month
        else:
            y, m = (d.year + (d.month // 12), d.month % 12 + 1)
        day = min(d.day, calendar.monthrange(y, m)[1])
        return int(
            calendar.timegm(d.replace(year=y, month=m, day=day).timetuple()) * 1000
            + d.microsecond // 1000
        )

    def _set_period(self, a: Account, start_ms: int) -> tuple[int, int]:
        a.period_end_ms = self._add_period(start_ms, a.interval or "month")
        item = a.sub["items"]["data"][0]
        item["current_period_start"] = start_ms // 1000
        item["current_period_end"] = a.period_end_ms // 1000
        return start_ms // 1000, a.period_end_ms // 1000

    def _invoice(self, a: Account, ms: int, reason: str, p_start: int, p_end: int) -> None:
        r = a.rng
        self.ids["invoice"] += 1
        inv = so.invoice(
            r,
            so.stripe_id(r, "in"),
            a.sub,
            a.cus,
            ms // 1000,
            p_start,
            p_end,
            reason,
            a.discount,
            self.coupons[a.discount["source"]["coupon"]] if a.discount else None,
            a.country in VAT_COUNTRIES,
            f"{a.cus['invoice_prefix']}-{self.ids['invoice']:06d}",
        )
        a.sub["latest_invoice"] = inv["id"]
        if (
            a.discount is not None
            and self.coupons[a.discount["source"]["coupon"]]["duration"] == "once"
        ):
            a.discount_end_ms = ms + 1000
        self._dirty("invoice", inv)
        if inv["amount_due"] == 0:
            inv["status"] = "paid"
            inv["status_transitions"]["paid_at"] = ms // 1000
            return
        a.open_invoice = inv
        a.retry_n = 0
        self._attempt(a, ms)

    def _attempt(self, a: Account, ms: int) -> None:
        r = a.rng
        inv = a.open_invoice
        a.retry_n += 1
        ok = r.random() > (0.06 if a.retry_n == 1 else 0.5)
        ch = so.charge(
            so.stripe_id(r, "ch"),
            so.stripe_id(r, "pi"),
            a.cus["id"],
            inv["amount_due"],
            ms // 1000,
            ok,
            "Subscription creation"
            if inv["billing_reason"] == "subscription_create"
            else "Subscription update",
            a.country,
        )
        self._dirty("charge", ch)
        pays = inv["payments"]
        pays["data"].append(
            so.invoice_payment(r, inv, ch["payment_intent"], inv["amount_due"], ms // 1000, ok)
        )
        pays["total_count"] = len(pays["data"])
        inv["attempt_count"] = a.retry_n
        inv["attempted"] = True
        if ok:
            inv.update(
                status="paid",
                amount_paid=inv["amount_due"],
                amount_remaining=0,
                next_payment_attempt=None,
            )
            inv["status_transitions"]["paid_at"] = ms // 1000
            a.open_invoice, a.retry_ms = None, None
            if a.sub["status"] == "past_due":
                a.sub["status"] = a.status = "active"
                self._dirty("subscription", a.sub)
            if r.random() < 0.02:  # a refund a few days later
                a_ms = ms + r.randint(1, 20) * DAY_MS
                self.pending_refunds.setdefault(as_dt(a_ms).date(), []).append((ch, a_ms))
        elif a.retry_n >= 4:
            inv.update(status="uncollectible", next_payment_attempt=None)
            inv["status_transitions"]["marked_uncollectible_at"] = ms // 1000
            a.open_invoice, a.retry_ms = None, None
            a.sub["cancellation_details"]["reason"] = "payment_failed"
            self._end_subscription(a, ms)
        else:
            a.retry_ms = ms + (3 if a.retry_n == 1 else 2) * DAY_MS
            inv["next_payment_attempt"] = a.retry_ms // 1000
            if a.sub["status"] != "past_due":
                a.sub["status"] = a.status = "past_due"
                self._dirty("subscription", a.sub)
        self._dirty("invoice", inv)

    def _end_subscription(self, a: Account, ms: int) -> None:
        sub = a.sub
        sub["status"] = "canceled"
        sub["ended_at"] = ms // 1000
        sub["canceled_at"] = sub["canceled_at"] or ms // 1000
        self._dirty("subscription", sub)
        a.status = "canceled"
        a.ended_ms = ms
        a.churn_ms = a.plan_change_ms = a.retry_ms = None
        a.discount = None
        a.discount_end_ms = None
        r = a.rng
        if r.random() < 0.12 * CHANNELS[a.channel][2]:
            a.reactivate_ms = ms + r.randint(30, 150) * DAY_MS + r.randrange(DAY_MS)
        elif r.random() < 0.35:
            a.delete_ms = ms + r.randint(30, 90) * DAY_MS
        self._touch_account(a, ms)

    def _schedule_churn(self, a: Account, from_ms: int) -> None:
        """When (if ever) the customer decides to cancel; engagement fades before it."""
        r = a.rng
        keep = CHANNELS[a.channel][2] * (0.45 + a.quality) * (1.3 if a.published else 0.8)
        if a.interval == "year":
            a.churn_ms = (
                a.period_end_ms - r.randint(3, 45) * DAY_MS
                if r.random() < min(0.9, 0.3 / keep)
                else None
            )
        else:
            hazard = min(0.5, 0.06 / keep)
            months = 0
            while r.random() > hazard and months < 60:
                months += 1
            a.churn_ms = from_ms + months * 30 * DAY_MS + r.randrange(28 * DAY_MS) + DAY_MS

    def _advance_billing(self, a: Account, day_end: int) -> None:
        while True:
            due: list[tuple[int, str]] = []
            if a.sub is not None and a.status != "canceled":
                if a.status == "trialing":
                    due.append((a.trial_end_ms, "trial_end"))
                else:
                    due.append((a.period_end_ms, "renew"))
                    if a.retry_ms:
                        due.append((a.retry_ms, "retry"))
                    if a.churn_ms and not a.sub["cancel_at_period_end"]:
                        due.append((a.churn_ms, "cancel"))
                    if a.plan_change_ms:
                        due.append((a.plan_change_ms, "plan_change"))
                    if a.discount_end_ms:
                        due.append((a.discount_end_ms, "discount_end"))
            elif a.reactivate_ms:
                due.append((a.reactivate_ms, "reactivate"))
            due = [d for d in due if d[0] < day_end]
            if not due:
                return
            ms, what = min(due)
            getattr(self, f"_on_{what}")(a, ms)

    def _on_trial_end(self, a: Account, ms: int) -> None:
        r = a.rng
        p = (
            0.06
            + (0.5 if a.published else 0.0)
            + 0.25 * a.quality
            + (0.1 if a.images_uploaded >= 10 else 0.0)
        ) * CHANNELS[a.channel][2]
        converted = r.random() < min(0.92, p)
        self._track(a, ms, "Trial Ended", {"converted": converted, "plan": a.plan})
        if not converted:
            a.sub["canceled_at"] = ms // 1000
            a.sub["cancellation_details"]["reason"] = "cancellation_requested"
            self._end_subscription(a, ms)
            return
        a.interval = "year" if r.random() < (0.4 if a.plan == "studio" else 0.22) else "month"
        item = a.sub["items"]["data"][0]
        item["price"] = dict(self.prices[(a.plan, a.interval)])
        a.sub["status"] = a.status = "active"
        if r.random() < 0.18:
            cid = r.choices(list(self.coupons), weights=(0.5, 0.3, 0.2))[0]
            c = self.coupons[cid]
            c["times_redeemed"] += 1
            self._dirty("coupon", c)
            end = None
            if c["duration"] == "repeating":
                end = ms + c["duration_in_months"] * 30 * DAY_MS
                a.discount_end_ms = end
            a.discount = so.discount(
                so.stripe_id(r, "di"),
                c,
                a.cus["id"],
                a.sub["id"],
                ms // 1000,
                end // 1000 if end else None,
            )
            # exported with expand[]=discounts: the discount object, not only its id
            a.sub["discounts"] = [a.discount]
        self._dirty("subscription", a.sub)
        self._invoice(a, ms, "subscription_cycle", *self._set_period(a, ms))
        self._schedule_churn(a, ms)
        if r.random() < 0.25 * a.quality and a.plan != "studio":
            a.plan_change_ms = ms + r.randint(20, 200) * DAY_MS
            a.plan_change_to = "pro" if a.plan == "starter" else "studio"
        elif r.random() < 0.06 and a.plan != "starter":
            a.plan_change_ms = ms + r.randint(20, 200) * DAY_MS
            a.plan_change_to = "starter" if a.plan == "pro" else "pro"
        self._touch_account(a, ms)

    def _on_renew(self, a: Account, ms: int) -> None:
        if a.sub["cancel_at_period_end"]:
            self._end_subscription(a, ms)
            return
        self._invoice(a, ms, "subscription_cycle", *self._set_period(a, ms))
        if a.interval == "year" and a.status != "canceled":
            self._schedule_churn(a, ms)

    def _on_retry(self, a: Account, ms: int) -> None:
        self._attempt(a, ms)

    def _on_cancel(self, a: Account, ms: int) -> None:
        sub = a.sub
        sub["cancel_at_period_end"] = True
        sub["cancel_at"] = a.period_end_ms // 1000
        sub["canceled_at"] = ms // 1000
        sub["cancellation_details"].update(
            reason="cancellation_requested",
            feedback=a.rng.choice(
                ("too_expensive", "unused", "switched_service", "missing_features", "other")
            ),
        )
        a.churn_ms = None
        self._dirty("subscription", sub)
        self._track(
            a,
            ms,
            "Subscription Canceled",
            {"plan": a.plan, "feedback": sub["cancellation_details"]["feedback"]},
        )

    def _on_plan_change(self, a: Account, ms: int) -> None:
        old, a.plan = a.plan, a.plan_change_to
        a.plan_change_ms = a.plan_change_to = None
        a.sub["items"]["data"][0]["price"] = dict(self.prices[(a.plan, a.interval)])
        self._dirty("subscription", a.sub)
        self._track(a, ms, "Plan Changed", {"from_plan": old, "to_plan": a.plan})
        self._touch_account(a, ms)

    def _on_discount_end(self, a: Account, ms: int) -> None:
        a.discount = None
        a.discount_end_ms = None
        a.sub["discounts"] = []
        self._dirty("subscription", a.sub)

    def _on_reactivate(self, a: Account, ms: int) -> None:
        a.reactivate_ms = None
        a.delete_ms = None
        a.engagement = min(0.9, a.engagement + 0.1)
        a.interval = a.interval or "month"
        self._start_subscription(a, ms, trial=False)
        self._track(a, ms, "Subscription Reactivated", {"plan": a.plan})
        self._schedule_churn(a, ms)
        self._touch_account(a, ms)

    # ------------------------------------------------------------------ app database
    def _touch_account(self, a: Account, ms: int) -> None:
        row = self.rows["accounts"].get(a.idx)
        if row is None:
            return
        row.update(
            plan_code=a.plan,
            billing_interval=a.interval,
            status=a.status if a.status != "prospect" else "trialing",
            updated_at=as_dt(ms),
        )

    def _signup(self, a: Account, ms: int) -> None:
        r = a.rng
        first, last = r.choice(FIRST), r.choice(LAST)
        name = f"{first} {last} Photography"
        email = f"{first.lower()}.{last.lower()}{a.idx}@example.com"
        # the visit that led to the sign-up: marketing pages, anonymous
        # (it starts at the earliest at midnight: the previous day's files are written)
        t = max(ms - r.randint(3, 25) * MIN_MS, ms - ms % DAY_MS)
        campaign = None
        if a.channel in ("paid_search", "social"):
            campaign = {
                "name": f"{a.channel}-acquisition",
                "source": "google" if a.channel == "paid_search" else "instagram",
                "medium": "cpc" if a.channel == "paid_search" else "social",
            }
        for page in [*r.sample(MARKETING_PAGES[:-1], r.randint(1, 3)), "Sign Up"]:
            self._page(
                a.device,
                None,
                t,
                page,
                "https://folio.photo",
                "/" + page.lower().replace(" ", "-"),
                None,
                campaign,
                stream="app",
            )
            t += r.randint(20, 240) * 1000
        self.ids["user"] += 1
        a.owner_id = self.ids["user"]
        a.cus = so.customer(so.stripe_id(r, "cus"), a.idx, email, name, a.country, ms // 1000)
        self._dirty("customer", a.cus)
        created = as_dt(ms)
        self.rows["accounts"][a.idx] = {
            "id": a.idx,
            "name": name,
            "email": email,
            "country": a.country,
            "acquisition_channel": a.channel,
            "plan_code": a.plan,
            "billing_interval": None,
            "status": "trialing",
            "stripe_customer_id": a.cus["id"],
            "signed_up_at": created,
            "created_at": created,
            "updated_at": created,
            "deleted_at": None,
        }
        self.rows["users"][a.owner_id] = {
            "id": a.owner_id,
            "account_id": a.idx,
            "email": email,
            "full_name": f"{first} {last}",
            "role": "owner",
            "last_login_at": created,
            "created_at": created,
            "updated_at": created,
            "deleted_at": None,
        }
        self._identify(
            a,
            ms,
            {
                "email": email,
                "name": f"{first} {last}",
                "plan": a.plan,
                "createdAt": iso(ms),
                "company": {"id": str(a.idx), "name": name},
            },
        )
        self._track(a, ms + 500, "Signed Up", {"plan": a.plan, "channel": a.channel})
        self._track(a, ms + 900, "Account Created", {"account_id": str(a.idx)})
        self._start_subscription(a, ms, trial=True)
        self._track(a, ms + 1300, "Trial Started", {"plan": a.plan, "trial_days": TRIAL_DAYS})
        # activation plan: the signal that drives conversion and retention
        q = a.quality
        a.site_day = r.choice((0, 0, 0, 1, 1, 2, 4)) if r.random() < 0.6 + 0.35 * q else 10**6
        a.images_target = min(
            PLAN_BY_CODE[a.plan].max_images, int(r.expovariate(1 / (8 + 140 * q)))
        )
        a.will_publish = r.random() < 0.25 + 0.65 * q
        a.publish_after = r.randint(1, 12)
        a.members_target = {"starter": 0, "pro": r.choice((0, 0, 1)), "studio": r.randint(1, 3)}[
            a.plan
        ]
        a.site_popularity = r.lognormvariate(math.log(1.2 + 4 * q), 0.8)
        a.visitor_pool = [uuid_from(r) for _ in range(r.randint(5, 40))]

    def _create_site(self, a: Account, ms: int) -> None:
        self.ids["site"] += 1
        a.site_id = self.ids["site"]
        sub = f"{self.rows['accounts'][a.idx]['name'].split()[0].lower()}-{a.site_id}"
        now = as_dt(ms)
        self.rows["portfolio_sites"][a.site_id] = {
            "id": a.site_id,
            "account_id": a.idx,
            "subdomain": sub,
            "custom_domain": None,
            "theme": a.rng.choice(THEMES),
            "status": "draft",
            "published_at": None,
            "created_at": now,
            "updated_at": now,
            "deleted_at": None,
        }
        self._track(a, ms, "Site Created", {"site_id": str(a.site_id), "subdomain": sub})

    def _upload(self, a: Account, ms: int, n: int) -> int:
        r = a.rng
        site = self.rows["portfolio_sites"][a.site_id]
        for _ in range(n):
            self.ids["image"] += 1
            iid = self.ids["image"]
            w, h = r.choice(((6000, 4000), (4000, 6000), (5472, 3648), (8256, 5504)))
            size = r.randint(2_000_000, 28_000_000)
            now = as_dt(ms)
            self.image_buffer.append(
                {
                    "id": iid,
                    "site_id": a.site_id,
                    "account_id": a.idx,
                    "filename": f"IMG_{r.randint(1000, 9999)}.jpg",
                    "size_bytes": size,
                    "width": w,
                    "height": h,
                    "created_at": now,
                    "updated_at": now,
                    "deleted_at": None,
                }
            )
            a.live_images.append(iid)
            a.images_uploaded += 1
            self._track(
                a,
                ms,
                "Image Uploaded",
                {
                    "image_id": str(iid),
                    "site_id": str(site["id"]),
                    "size_bytes": size,
                    "width": w,
                    "height": h,
                },
            )
            ms += r.randint(1500, 9000)
        return ms

    def _session(self, a: Account, ms: int) -> None:
        r = a.rng
        user_id = a.owner_id
        if a.member_ids and r.random() < 0.3:
            user_id = r.choice(a.member_ids)
        self._track(a, ms, "Signed In", {}, user_id=user_id)
        self.rows["users"][user_id].update(last_login_at=as_dt(ms), updated_at=as_dt(ms))
        for _ in range(r.randint(1, 4)):
            ms += r.randint(15, 240) * 1000
            page = r.choice(APP_PAGES)
            self._page(
                a.device,
                user_id,
                ms,
                page,
                "https://app.folio.photo",
                "/" + page.lower().replace(" ", "-"),
                None,
                None,
                stream="app",
            )
        days_in = (ms - a.signup_ms) // DAY_MS
        if a.site_id is None and days_in >= a.site_day:
            ms += r.randint(30, 300) * 1000
            self._create_site(a, ms)
        if a.site_id is not None and a.images_uploaded < a.images_target:
            ms = self._upload(
                a,
                ms + r.randint(20, 120) * 1000,
                min(a.images_target - a.images_uploaded, r.randint(1, 30)),
            )
        site = self.rows["portfolio_sites"].get(a.site_id) if a.site_id else None
        if (
            site is not None
            and not a.published
            and a.will_publish
            and a.images_uploaded >= 10
            and days_in >= a.publish_after
        ):
            ms += r.randint(30, 300) * 1000
            a.published = True
            site.update(status="published", published_at=as_dt(ms), updated_at=as_dt(ms))
            self._track(a, ms, "Site Published", {"site_id": str(site["id"])})
        if site is not None and r.random() < 0.04:
            ms += r.randint(30, 300) * 1000
            old, site["theme"] = site["theme"], r.choice(THEMES)
            site["updated_at"] = as_dt(ms)
            self._track(
                a,
                ms,
                "Theme Changed",
                {"site_id": str(site["id"]), "from_theme": old, "to_theme": site["theme"]},
            )
        if (
            site is not None
            and a.published
            and not a.domain
            and a.plan != "starter"
            and r.random() < 0.04
        ):
            ms += r.randint(30, 300) * 1000
            a.domain = True
            site.update(
                custom_domain=f"www.{site['subdomain'].split('-')[0]}{a.idx}.com",
                updated_at=as_dt(ms),
            )
            self._track(
                a,
                ms,
                "Domain Connected",
                {"site_id": str(site["id"]), "domain": site["custom_domain"]},
            )
        if len(a.member_ids) < a.members_target and r.random() < 0.15:
            ms += r.randint(30, 300) * 1000
            self.ids["user"] += 1
            uid = self.ids["user"]
            a.member_ids.append(uid)
            first, last = r.choice(FIRST), r.choice(LAST)
            self.rows["users"][uid] = {
                "id": uid,
                "account_id": a.idx,
                "email": f"{first.lower()}.{last.lower()}.{uid}@example.com",
                "full_name": f"{first} {last}",
                "role": "member",
                "last_login_at": None,
                "created_at": as_dt(ms),
                "updated_at": as_dt(ms),
                "deleted_at": None,
            }
            self._track(a, ms, "Invite Sent", {"invitee_role": "member"}, user_id=user_id)
        if a.live_images and r.random() < 0.04:
            ms += r.randint(30, 300) * 1000
            for _ in range(min(len(a.live_images), r.randint(1, 5))):
                iid = a.live_images.pop(r.randrange(len(a.live_images)))
                self.image_deletes.append((iid, ms, r.random() < 0.3))
                self._track(a, ms, "Image Deleted", {"image_id": str(iid)}, user_id=user_id)
        if a.published and r.random() < 0.1:
            self._track(
                a,
                ms + 5000,
                "Gallery Shared",
                {"site_id": str(a.site_id), "channel": r.choice(("email", "link"))},
            )
        if r.random() < self.rate["unknown_event"] * 4:
            self._track(
                a, ms + 7000, r.choice(UNKNOWN_TRACK_EVENTS), {}, user_id=user_id, unknown=True
            )

    def _delete_account(self, a: Account, ms: int) -> None:
        a.deleted = True
        now = as_dt(ms)
        self.rows["accounts"][a.idx].update(deleted_at=now, updated_at=now)
        for uid in [a.owner_id, *a.member_ids]:
            self.rows["users"][uid].update(deleted_at=now, updated_at=now)
        if a.site_id:
            self.rows["portfolio_sites"][a.site_id].update(
                status="archived", deleted_at=now, updated_at=now
            )

    # ------------------------------------------------------------------ Segment
    def _envelope(
        self,
        dev: Device,
        user_id: int | None,
        ms: int,
        typ: str,
        page: dict[str, Any] | None,
        campaign: dict[str, Any] | None,
        stream: str,
        rng: random.Random,
    ) -> tuple[dict[str, Any], int]:
        app = stream == "app"
        sent = ms + (rng.randint(200, 8000) if app else rng.randint(100, 2000))
        received = sent + rng.randint(30, 400)
        original_device, sent_device = ms + dev.skew_ms, sent + dev.skew_ms  # the device clock
        ctx: dict[str, Any] = {
            "ip": dev.ip,
            "userAgent": dev.ua,
            "locale": "en-US",
            "library": {"name": "analytics.js", "version": "5.2.0"}
            if app
            else {"name": "folio-sites.js", "version": "1.4.2"},
        }
        if page is not None:
            ctx["page"] = page
        if campaign is not None:
            ctx["campaign"] = campaign
        if ms >= self.segment_drift_ms:
            ctx[SEGMENT_DRIFT] = "UTC"
        msg = {
            "anonymousId": dev.anon,
            "userId": None if user_id is None else str(user_id),
            "messageId": uuid_from(rng),
            "type": typ,
            "originalTimestamp": iso(original_device),
            "sentAt": iso(sent_device),
            "receivedAt": iso(received),
            # Segment's correction: timestamp = receivedAt - (sentAt - originalTimestamp)
            "timestamp": iso(segment_timestamp(received, sent_device, original_device)),
            "context": ctx,
            "integrations": {},
            "channel": "client",
            "version": 2,
        }
        return msg, received

    def _emit(
        self,
        msg: dict[str, Any],
        received: int,
        ms: int,
        stream: str,
        rng: random.Random,
        bot: bool = False,
        defects: list | None = None,
    ) -> None:
        """Queue a message for the day it is received, applying delivery defects."""
        defects = list(defects or [])
        protect = bot or bool(defects)
        if not protect:
            u = rng.random()
            late, ooo, dup = (
                self.rate["late_event"],
                self.rate["out_of_order"],
                self.rate["duplicate_message"],
            )
            if u < late:
                k = rng.randint(1, 3)
                shift = k * DAY_MS + rng.randint(0, 6 * 3_600_000)
                msg, received = self._redeliver(msg, received + shift, ms, shift)
                defects.append(("late_event", {"message_id": msg["messageId"], "delay_days": k}))
            elif u < late + ooo:
                shift = rng.randint(2, 30) * MIN_MS
                msg, received = self._redeliver(msg, received + shift, ms, shift)
                defects.append(("out_of_order", {"message_id": msg["messageId"]}))
            elif u < late + ooo + dup:
                again = received + rng.randint(1, 2880) * MIN_MS
                copy = dict(msg)
                copy["receivedAt"] = iso(again)
                # a retried batch keeps sentAt; Segment recomputes timestamp from receivedAt
                copy["timestamp"] = iso(
                    segment_timestamp(
                        again, iso_ms(msg["sentAt"]), iso_ms(msg["originalTimestamp"])
                    )
                )
                self._queue(
                    copy,
                    again,
                    stream,
                    [("duplicate_message", {"message_id": msg["messageId"]})],
                    True,
                )
                protect = True
        self._queue(msg, received, stream, defects, protect, bot)

    def _redeliver(
        self, msg: dict[str, Any], received: int, ms: int, shift: int
    ) -> tuple[dict[str, Any], int]:
        """The device sent the message later (offline, retry): sentAt and receivedAt move."""
        sent = iso_ms(msg["sentAt"]) + shift
        msg["sentAt"] = iso(sent)
        msg["receivedAt"] = iso(received)
        msg["timestamp"] = iso(segment_timestamp(received, sent, iso_ms(msg["originalTimestamp"])))
        return msg, received

    def _queue(
        self,
        msg: dict[str, Any],
        received: int,
        stream: str,
        defects: list,
        protect: bool,
        bot: bool = False,
    ) -> None:
        day = self.p.start + dt.timedelta(days=(received - self.start_ms) // DAY_MS)
        if day > self.p.end:
            return  # not received yet when the range ends
        if day < self.today:  # that day's files are written: the message would be lost
            raise RuntimeError(f"message received on {day} queued while simulating {self.today}")
        self.seq += 1
        self.outbox.setdefault(day, []).append(
            (received, self.seq, stream, msg, defects, protect or bot, bot)
        )

    def _track(
        self,
        a: Account,
        ms: int,
        event: str,
        props: dict[str, Any],
        user_id: int | None = None,
        unknown: bool = False,
    ) -> None:
        rng = a.rng
        uid = user_id if user_id is not None else a.owner_id
        msg, received = self._envelope(a.device, uid, ms, "track", None, None, "app", rng)
        msg["event"] = event
        msg["properties"] = {"account_id": str(a.idx), **props}
        defects = (
            [("unknown_event", {"message_id": msg["messageId"], "event": event})]
            if unknown
            else None
        )
        self._emit(msg, received, ms, "app", rng, defects=defects)

    def _identify(self, a: Account, ms: int, traits: dict[str, Any]) -> None:
        msg, received = self._envelope(
            a.device, a.owner_id, ms, "identify", None, None, "app", a.rng
        )
        msg["traits"] = traits
        self._emit(msg, received, ms, "app", a.rng)

    def _page(
        self,
        dev: Device,
        user_id: int | None,
        ms: int,
        name: str,
        base: str,
        path: str,
        referrer: str | None,
        campaign: dict[str, Any] | None,
        stream: str,
        rng: random.Random | None = None,
        site_id: int | None = None,
        bot: bool = False,
    ) -> None:
        rng = rng or self.day_rng
        search = ""
        if campaign is not None:
            search = (
                f"?utm_source={campaign['source']}&utm_medium={campaign['medium']}"
                f"&utm_campaign={campaign['name']}"
            )
        page = {
            "path": path,
            "referrer": referrer or "",
            "search": search,
            "title": name,
            "url": base + path + search,
        }
        msg, received = self._envelope(dev, user_id, ms, "page", page, campaign, stream, rng)
        msg["name"] = name
        props = dict(page)
        if site_id is not None:
            props["site_id"] = str(site_id)
        msg["properties"] = props
        self._emit(msg, received, ms, stream, rng, bot=bot)

    def _visitor_traffic(self, sites: list[Account], day: dt.date, d0: int) -> None:
        rng = self.day_rng
        season = MONTH_SEASON[day.month - 1] * (1.15 if day.weekday() >= 5 else 1.0)
        for a in sites:
            site = self.rows["portfolio_sites"][a.site_id]
            base = f"https://{site['custom_domain'] or site['subdomain'] + '.folio.site'}"
            n = poisson(rng, a.site_popularity * season * self.p.traffic)
            for _ in range(n):
                returning = rng.random() < 0.3
                dev = Device(
                    anon=rng.choice(a.visitor_pool) if returning else uuid_from(rng),
                    ua=rng.choice(HUMAN_USER_AGENTS),
                    ip=f"{rng.randint(11, 223)}.{rng.randint(0, 255)}."
                    f"{rng.randint(0, 255)}.{rng.randint(1, 254)}",
                )
                ref = rng.choices([x for x, _ in REFERRERS], weights=[w for _, w in REFERRERS])[0]
                campaign = None
                if rng.random() < 0.08:
                    campaign = {
                        "name": rng.choice(CAMPAIGNS),
                        "source": "newsletter",
                        "medium": "email",
                    }
                ms = (
                    d0
                    + rng.choices(range(24), weights=HOUR_WEIGHTS)[0] * 3_600_000
                    + rng.randrange(3_600_000)
                )
                pages = 1 if rng.random() < 0.42 else rng.randint(2, 7)
                for k in range(pages):
                    name = "Home" if k == 0 and ref is None else rng.choice(SITE_PAGES)
                    self._page(
                        dev,
                        None,
                        ms,
                        name,
                        base,
                        "/" + name.lower(),
                        ref if k == 0 else base + "/",
                        campaign if k == 0 else None,
                        "sites",
                        rng,
                        site_id=a.site_id,
                    )
                    ms += rng.randint(8, 180) * 1000
        # crawlers: a known bot user agent over many sites, or one fast client hammering a site
        for _ in range(poisson(rng, self.rate["bot_visitors_per_day"])):
            if not sites:
                break
            ua_bot = rng.random() < 0.6
            dev = Device(
                anon=uuid_from(rng),
                ua=rng.choice(BOT_USER_AGENTS) if ua_bot else rng.choice(HUMAN_USER_AGENTS),
                ip=f"66.249.{rng.randint(0, 255)}.{rng.randint(1, 254)}",
            )
            self.bots[dev.anon] = {
                "kind": "user_agent" if ua_bot else "rate",
                "user_agent": dev.ua,
                "messages": 0,
            }
            ms = d0 + rng.randrange(20 * 3_600_000)
            targets = (
                rng.sample(sites, min(len(sites), rng.randint(3, 20)))
                if ua_bot
                else [rng.choice(sites)]
            )
            for a in targets:
                site = self.rows["portfolio_sites"][a.site_id]
                base = f"https://{site['subdomain']}.folio.site"
                for _ in range(rng.randint(5, 15) if ua_bot else rng.randint(150, 400)):
                    name = rng.choice(SITE_PAGES)
                    self._page(
                        dev,
                        None,
                        ms,
                        name,
                        base,
                        "/" + name.lower(),
                        None,
                        None,
                        "sites",
                        rng,
                        site_id=a.site_id,
                        bot=True,
                    )
                    ms += rng.randint(1000, 4000) if ua_bot else rng.randint(150, 900)

    # ------------------------------------------------------------------ writing
    def _corrupt_segment(self, msg: dict[str, Any]) -> tuple[str, dict, bytes] | None:
        rng = self.write_rng
        u = rng.random()
        if u < self.rate["malformed_json"]:
            return "malformed_json", {"source": "segment"}, truncate_json(rng, msg)
        if u < self.rate["malformed_json"] + self.rate["missing_required"]:
            options = ["messageId", "type", "timestamp", "receivedAt", "ids"]
            if msg.get("type") == "track":
                options.append("event")
            fld = rng.choice(options)
            bad = dict(msg)
            if fld == "ids":
                bad.pop("anonymousId")
                bad.pop("userId")
                fld = "anonymousId|userId"
            else:
                bad.pop(fld)
            return (
                "missing_required",
                {"source": "segment", "field": fld, "message_id": msg["messageId"]},
                msgspec.json.encode(bad),
            )
        return None

    def _corrupt_stripe(self, obj: dict[str, Any]) -> tuple[str, dict, bytes] | None:
        rng = self.write_rng
        u = rng.random()
        if u < self.rate["malformed_json"]:
            return (
                "malformed_json",
                {"source": "stripe", "object": obj["object"]},
                truncate_json(rng, obj),
            )
        if u < self.rate["malformed_json"] + self.rate["missing_id"]:
            bad = {k: v for k, v in obj.items() if k != "id"}
            return (
                "missing_id",
                {"source": "stripe", "object": obj["object"], "stripe_id": obj["id"]},
                msgspec.json.encode(bad),
            )
        return None

    def _write_day(self, day: dt.date, manifest: Manifest) -> None:
        dt_dir = f"dt={day.isoformat()}"
        for obj, objs in self.dirty.items():
            w = PartWriter(self.landing / "stripe" / obj / dt_dir, obj, self.landing, manifest)
            for o in objs.values():
                w.write(o, corrupt=self._corrupt_stripe)
            w.close()
            self.stripe_written += w.lines_total
            self.files_written += w.part + 1
        self.dirty = {}
        queued = self.outbox.pop(day, [])
        queued.sort(key=lambda x: (x[0], x[1]))
        seg_dir = self.landing / "segment" / dt_dir
        writers = {
            s: PartWriter(seg_dir, prefix, self.landing, manifest)
            for s, prefix in (("app", "folio-app"), ("sites", "portfolio-sites"))
        }
        for _, _, stream, msg, defects, protect, bot in queued:
            writers[stream].write(msg, defects, None if protect else self._corrupt_segment)
            if bot:
                self.bots[msg["anonymousId"]]["messages"] += 1
        for w in writers.values():
            w.close()
            self.messages_written += w.lines_total
            self.files_written += w.part + 1
        # the exporter's last act: the day is complete (what the pipeline's sensor checks)
        for source in ("stripe", "segment"):
            mark = self.landing / source / "_delivered" / day.isoformat()
            mark.parent.mkdir(parents=True, exist_ok=True)
            mark.touch()

    def _flush_images(self, conn: sa.Connection) -> None:
        if self.image_buffer:
            conn.execute(appdb.images.insert(), self.image_buffer)
            self.images_written += len(self.image_buffer)
            self.image_buffer = []
        soft = [(i, ms) for i, ms, hard in self.image_deletes if not hard]
        hard = [i for i, _, h in self.image_deletes if h]
        if soft:
            conn.execute(
                appdb.images.update()
                .where(appdb.images.c.id == sa.bindparam("iid"))
                .values(deleted_at=sa.bindparam("ts"), updated_at=sa.bindparam("ts")),
                [{"iid": i, "ts": as_dt(ms)} for i, ms in soft],
            )
        for i, ms, h in self.image_deletes:
            if h:
                self.manifest.add(
                    "hard_delete",
                    source="app_db",
                    table="images",
                    id=i,
                    deleted_on=as_dt(ms).date().isoformat(),
                )
        if hard:
            conn.execute(appdb.images.delete().where(appdb.images.c.id.in_(hard)))
            self.hard_deleted += len(hard)
        self.image_deletes = []

    # ------------------------------------------------------------------ main loop
    def run(self) -> SimSummary:
        t0 = time.perf_counter()
        self.landing.mkdir(parents=True, exist_ok=True)
        engine = appdb.connect(self.app_db_url)
        for sub in ("stripe", "segment", "_manifest"):
            shutil.rmtree(self.landing / sub, ignore_errors=True)
        self.landing.mkdir(parents=True, exist_ok=True)
        appdb.recreate(engine)
        self.manifest = manifest = Manifest(self.landing / "_manifest" / "defects.jsonl")
        manifest.add(
            "schema_drift",
            source="stripe",
            object=STRIPE_DRIFT[0],
            field=STRIPE_DRIFT[1],
            first_date=self.stripe_drift_day.isoformat(),
        )
        manifest.add(
            "schema_drift",
            source="segment",
            object="message",
            field=f"context.{SEGMENT_DRIFT}",
            first_date=self.segment_drift_day.isoformat(),
        )
        self.pending_refunds: dict[dt.date, list[tuple[dict[str, Any], int]]] = {}
        days = self.p.days()
        self.start_ms = day_ms(days[0])
        accounts = self._plan_signups()
        self._catalog(day_ms(days[0]))
        self.write_rng = random.Random(f"{self.p.seed}:write")
        live: list[Account] = []
        nxt = 0
        with engine.begin() as conn:
            for i, day in enumerate(days):
                self.today = day
                d0 = day_ms(day)
                d1 = d0 + DAY_MS
                self.day_rng = random.Random(f"{self.p.seed}:day:{day.isoformat()}")
                if day == self.price_change_day:
                    self._change_pro_price(d0 + 9 * 3_600_000)
                while nxt < len(accounts) and accounts[nxt].signup_ms < d1:
                    self._signup(accounts[nxt], accounts[nxt].signup_ms)
                    live.append(accounts[nxt])
                    nxt += 1
                for a in live:
                    if a.deleted:
                        continue
                    self._advance_billing(a, d1)
                    if a.delete_ms and a.delete_ms < d1 and a.status == "canceled":
                        self._delete_account(a, a.delete_ms)
                        continue
                    self._daily_activity(a, day, d0)
                for ch, ms in self.pending_refunds.pop(day, []):
                    amount = ch["amount"] if ch["id"][-1] < "m" else ch["amount"] // 2
                    ref = so.refund(so.stripe_id(self.r, "re"), ch, amount, ms // 1000)
                    ch["amount_refunded"] += amount
                    ch["refunded"] = ch["amount_refunded"] >= ch["amount"]
                    self._dirty("refund", ref)
                    self._dirty("charge", ch)
                self._visitor_traffic([a for a in live if a.published and not a.deleted], day, d0)
                self._write_day(day, manifest)
                if i % 30 == 29 or i == len(days) - 1:
                    self._flush_images(conn)
                if self.progress:
                    self.progress(i + 1, len(days))
            for name in ("accounts", "users", "portfolio_sites"):
                rows = list(self.rows[name].values())
                for k in range(0, len(rows), 5000):
                    conn.execute(getattr(appdb, name).insert(), rows[k : k + 5000])
            conn.execute(appdb.plans.insert(), self.plan_rows)
        engine.dispose()
        for dev in self.skewed_devices:
            manifest.add("clock_skew_device", anonymous_id=dev.anon, skew_ms=dev.skew_ms)
        for anon, b in self.bots.items():
            manifest.add("bot_traffic", anonymous_id=anon, **b)
        manifest.close()
        seconds = time.perf_counter() - t0
        nbytes = sum(p.stat().st_size for p in self.landing.rglob("*.jsonl.gz"))
        summary = SimSummary(
            params={
                **asdict(self.p),
                "start": self.p.start.isoformat(),
                "end": self.p.end.isoformat(),
            },
            seconds=round(seconds, 2),
            segment_messages=self.messages_written,
            stripe_objects=self.stripe_written,
            app_rows={
                "plans": len(self.plan_rows),
                "accounts": len(self.rows["accounts"]),
                "users": len(self.rows["users"]),
                "portfolio_sites": len(self.rows["portfolio_sites"]),
                "images": self.images_written - self.hard_deleted,
            },
            defects=dict(sorted(manifest.counts.items())),
            files=self.files_written,
            bytes=nbytes,
        )
        (self.landing / RUN_NAME).write_bytes(
            msgspec.json.format(msgspec.json.encode(asdict(summary)))
        )
        return summary

    def _daily_activity(self, a: Account, day: dt.date, d0: int) -> None:
        r = a.rng
        if a.status == "canceled":
            p = 0.01
        else:
            p = a.engagement * (0.7 if day.weekday() >= 5 else 1.0)
            if a.status == "trialing":
                p *= 1.6
            if a.churn_ms is not None:
                p *= max(0.1, min(1.0, (a.churn_ms - d0) / (45 * DAY_MS)))
        if r.random() >= min(0.95, p):
            return
        start = max(
            d0 + r.choices(range(24), weights=HOUR_WEIGHTS)[0] * 3_600_000 + r.randrange(3_600_000),
            a.signup_ms + 2 * 3_600_000,
        )
        if start >= d0 + DAY_MS:
            return
        self._session(a, start)


def iso_ms(s: str) -> int:
    return calendar.timegm(time.strptime(s[:19], "%Y-%m-%dT%H:%M:%S")) * 1000 + int(s[20:23])


def simulate(
    params: SimParams,
    landing: Path,
    app_db_url: str,
    progress: Callable[[int, int], None] | None = None,
) -> SimSummary:
    """Write the landing zone (Stripe, Segment, manifest) and the app DB for ``params``."""
    return Simulator(params, landing, app_db_url, progress).run()
