"""Sign-ups: who signs up for Folio and when, and what a sign-up creates.

The days and hours of sign-ups grow over the range, follow the seasons and dip at
weekends; each account gets its own random stream, a browser, a plan and a quality (how
likely it is to activate). A sign-up creates the app-DB account and owner, the Stripe
customer and trial, and draws the account's activation plan.
"""

from __future__ import annotations

import math
import random

from folio.simulator.billing import TRIAL_DAYS, create_customer, start_subscription
from folio.simulator.catalog import (
    CHANNELS,
    COUNTRIES,
    HUMAN_USER_AGENTS,
    MARKETING_PAGES,
    PLAN_BY_CODE,
)
from folio.simulator.clock import (
    DAY_MS,
    HOUR_MS,
    HOUR_WEIGHTS,
    MIN_MS,
    MONTH_SEASON,
    as_dt,
    day_ms,
    iso,
)
from folio.simulator.defects import skew_clock
from folio.simulator.segment import identify, page, track
from folio.simulator.state import Account, Device, SimState, uuid_from

FIRST_NAMES = (
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
LAST_NAMES = (
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


def new_device(state: SimState, rng: random.Random) -> Device:
    """A browser with a random user agent and IP address, and maybe a clock that is off."""
    device = Device(
        anonymous_id=uuid_from(rng),
        user_agent=rng.choice(HUMAN_USER_AGENTS),
        ip=f"{rng.randint(11, 223)}.{rng.randint(0, 255)}."
        f"{rng.randint(0, 255)}.{rng.randint(1, 254)}",
    )
    skew_clock(state, device, rng)
    return device


def plan_signups(state: SimState) -> list[Account]:
    """Every account of the run, in sign-up order: growing, seasonal, quieter at weekends."""
    params = state.params
    days = params.days()
    n = len(days)
    weights = [
        (1.0 + 1.5 * i / max(1, n - 1))
        * MONTH_SEASON[d.month - 1]
        * (0.8 if d.weekday() >= 5 else 1.1)
        for i, d in enumerate(days)
    ]
    chosen = sorted(state.rng.choices(range(n), weights=weights, k=params.accounts))
    channels = list(CHANNELS)
    channel_weights = [CHANNELS[c][0] for c in channels]
    accounts = []
    for account_id, day_index in enumerate(chosen, start=1):
        rng = random.Random(f"{params.seed}:account:{account_id}")
        hour = rng.choices(range(24), weights=HOUR_WEIGHTS)[0]
        signup = day_ms(days[day_index]) + hour * HOUR_MS + rng.randrange(HOUR_MS)
        channel = rng.choices(channels, weights=channel_weights)[0]
        country = rng.choices([c for c, _ in COUNTRIES], weights=[w for _, w in COUNTRIES])[0]
        plan = rng.choices(("starter", "pro", "studio"), weights=(0.5, 0.38, 0.12))[0]
        quality = min(1.0, rng.betavariate(2.2, 2.0) * CHANNELS[channel][1])
        account = Account(
            id=account_id,
            rng=rng,
            signup_ms=signup,
            channel=channel,
            country=country,
            plan=plan,
            quality=quality,
            device=new_device(state, rng),
        )
        account.engagement = 0.12 + 0.6 * quality
        accounts.append(account)
    return accounts


def signup(state: SimState, account: Account, ms: int) -> None:
    """The visit that led to it, the account and its owner, a trial, an activation plan."""
    rng = account.rng
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    name = f"{first} {last} Photography"
    email = f"{first.lower()}.{last.lower()}{account.id}@example.com"
    # the visit that led to the sign-up: marketing pages, anonymous
    # (it starts at the earliest at midnight: the previous day's files are written)
    visit_ms = max(ms - rng.randint(3, 25) * MIN_MS, ms - ms % DAY_MS)
    campaign = None
    if account.channel in ("paid_search", "social"):
        paid = account.channel == "paid_search"
        campaign = {
            "name": f"{account.channel}-acquisition",
            "source": "google" if paid else "instagram",
            "medium": "cpc" if paid else "social",
        }
    for title in [*rng.sample(MARKETING_PAGES[:-1], rng.randint(1, 3)), "Sign Up"]:
        page(
            state,
            account.device,
            None,
            visit_ms,
            title,
            "https://folio.photo",
            "/" + title.lower().replace(" ", "-"),
            None,
            campaign,
            stream="app",
        )
        visit_ms += rng.randint(20, 240) * 1000
    state.last_id["user"] += 1
    account.owner_id = state.last_id["user"]
    create_customer(state, account, email, name, ms)
    created = as_dt(ms)
    state.rows["accounts"][account.id] = {
        "id": account.id,
        "name": name,
        "email": email,
        "country": account.country,
        "acquisition_channel": account.channel,
        "plan_code": account.plan,
        "billing_interval": None,
        "status": "trialing",
        "stripe_customer_id": account.customer["id"],
        "signed_up_at": created,
        "created_at": created,
        "updated_at": created,
        "deleted_at": None,
    }
    state.rows["users"][account.owner_id] = {
        "id": account.owner_id,
        "account_id": account.id,
        "email": email,
        "full_name": f"{first} {last}",
        "role": "owner",
        "last_login_at": created,
        "created_at": created,
        "updated_at": created,
        "deleted_at": None,
    }
    traits = {
        "email": email,
        "name": f"{first} {last}",
        "plan": account.plan,
        "createdAt": iso(ms),
        "company": {"id": str(account.id), "name": name},
    }
    identify(state, account, ms, traits)
    signed_up = {"plan": account.plan, "channel": account.channel}
    track(state, account, ms + 500, "Signed Up", signed_up)
    track(state, account, ms + 900, "Account Created", {"account_id": str(account.id)})
    start_subscription(state, account, ms, trial=True)
    trial = {"plan": account.plan, "trial_days": TRIAL_DAYS}
    track(state, account, ms + 1300, "Trial Started", trial)
    # activation plan: the signal that drives conversion and retention
    quality = account.quality
    account.site_day = (
        rng.choice((0, 0, 0, 1, 1, 2, 4)) if rng.random() < 0.6 + 0.35 * quality else 10**6
    )
    account.images_target = min(
        PLAN_BY_CODE[account.plan].max_images, int(rng.expovariate(1 / (8 + 140 * quality)))
    )
    account.will_publish = rng.random() < 0.25 + 0.65 * quality
    account.publish_after = rng.randint(1, 12)
    account.members_target = {
        "starter": 0,
        "pro": rng.choice((0, 0, 1)),
        "studio": rng.randint(1, 3),
    }[account.plan]
    account.site_popularity = rng.lognormvariate(math.log(1.2 + 4 * quality), 0.8)
    account.visitor_pool = [uuid_from(rng) for _ in range(rng.randint(5, 40))]
