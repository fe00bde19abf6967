"""Traffic on customers' published portfolio sites: visitors and crawlers.

Visitors come at the site's popularity, seasonal and busier at weekends, some of them
returning; crawlers (a known bot user agent over many sites, or one fast client hammering a
site) are recorded as bots in the manifest. All of it draws from the day's random stream.
"""

from __future__ import annotations

import datetime as dt

from folio.simulator.catalog import (
    BOT_USER_AGENTS,
    CAMPAIGNS,
    HUMAN_USER_AGENTS,
    REFERRERS,
    SITE_PAGES,
)
from folio.simulator.clock import HOUR_MS, HOUR_WEIGHTS, MONTH_SEASON
from folio.simulator.segment import page
from folio.simulator.state import Account, Device, SimState, poisson, uuid_from


def site_traffic(state: SimState, sites: list[Account], day: dt.date, day_start: int) -> None:
    """The day's page views on the published sites of ``sites``."""
    _visitors(state, sites, day, day_start)
    _crawlers(state, sites, day_start)


def _visitors(state: SimState, sites: list[Account], day: dt.date, day_start: int) -> None:
    rng = state.day_rng
    season = MONTH_SEASON[day.month - 1] * (1.15 if day.weekday() >= 5 else 1.0)
    for account in sites:
        site = state.rows["portfolio_sites"][account.site_id]
        base = f"https://{site['custom_domain'] or site['subdomain'] + '.folio.site'}"
        visits = poisson(rng, account.site_popularity * season * state.params.traffic)
        for _ in range(visits):
            returning = rng.random() < 0.3
            device = Device(
                anonymous_id=rng.choice(account.visitor_pool) if returning else uuid_from(rng),
                user_agent=rng.choice(HUMAN_USER_AGENTS),
                ip=f"{rng.randint(11, 223)}.{rng.randint(0, 255)}."
                f"{rng.randint(0, 255)}.{rng.randint(1, 254)}",
            )
            referrer = rng.choices([x for x, _ in REFERRERS], weights=[w for _, w in REFERRERS])[0]
            campaign = None
            if rng.random() < 0.08:
                campaign = {
                    "name": rng.choice(CAMPAIGNS),
                    "source": "newsletter",
                    "medium": "email",
                }
            ms = (
                day_start
                + rng.choices(range(24), weights=HOUR_WEIGHTS)[0] * HOUR_MS
                + rng.randrange(HOUR_MS)
            )
            pages = 1 if rng.random() < 0.42 else rng.randint(2, 7)
            for k in range(pages):
                name = "Home" if k == 0 and referrer is None else rng.choice(SITE_PAGES)
                page(
                    state,
                    device,
                    None,
                    ms,
                    name,
                    base,
                    "/" + name.lower(),
                    referrer if k == 0 else base + "/",
                    campaign if k == 0 else None,
                    "sites",
                    rng,
                    site_id=account.site_id,
                )
                ms += rng.randint(8, 180) * 1000


def _crawlers(state: SimState, sites: list[Account], day_start: int) -> None:
    rng = state.day_rng
    for _ in range(poisson(rng, state.rate["bot_visitors_per_day"])):
        if not sites:
            break
        by_user_agent = rng.random() < 0.6
        device = Device(
            anonymous_id=uuid_from(rng),
            user_agent=rng.choice(BOT_USER_AGENTS)
            if by_user_agent
            else rng.choice(HUMAN_USER_AGENTS),
            ip=f"66.249.{rng.randint(0, 255)}.{rng.randint(1, 254)}",
        )
        state.bots[device.anonymous_id] = {
            "kind": "user_agent" if by_user_agent else "rate",
            "user_agent": device.user_agent,
            "messages": 0,
        }
        ms = day_start + rng.randrange(20 * HOUR_MS)
        targets = (
            rng.sample(sites, min(len(sites), rng.randint(3, 20)))
            if by_user_agent
            else [rng.choice(sites)]
        )
        for account in targets:
            site = state.rows["portfolio_sites"][account.site_id]
            base = f"https://{site['subdomain']}.folio.site"
            for _ in range(rng.randint(5, 15) if by_user_agent else rng.randint(150, 400)):
                name = rng.choice(SITE_PAGES)
                page(
                    state,
                    device,
                    None,
                    ms,
                    name,
                    base,
                    "/" + name.lower(),
                    None,
                    None,
                    "sites",
                    rng,
                    site_id=account.site_id,
                    bot=True,
                )
                ms += rng.randint(1000, 4000) if by_user_agent else rng.randint(150, 900)
