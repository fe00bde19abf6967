"""Fixed business facts of the simulated Folio: plans, coupons, channels, event names.

Kept in one place so the simulator, the JSON schemas and (later) the marts agree.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True)
class Plan:
    plan_id: int
    code: str
    name: str
    monthly_cents: int
    yearly_cents: int
    max_images: int


PLANS: tuple[Plan, ...] = (
    Plan(1, "starter", "Starter", 1200, 12000, 200),
    Plan(2, "pro", "Pro", 2400, 24000, 2000),
    Plan(3, "studio", "Studio", 4900, 49000, 20000),
)
PLAN_BY_CODE = {p.code: p for p in PLANS}
# The Pro monthly price rises from this many days into the range (a new Stripe price; the old
# one is archived): existing subscribers keep the old price, new ones pay the new one.
PRO_PRICE_CHANGE_FRACTION = 0.55
PRO_MONTHLY_AFTER_CHANGE = 2600

# id, percent_off, amount_off (cents), duration, duration_in_months
COUPONS: tuple[tuple[str, float | None, int | None, str, int | None], ...] = (
    ("LAUNCH20", 20.0, None, "repeating", 3),
    ("FRIEND10", None, 1000, "once", None),
    ("STUDENT15", 15.0, None, "forever", None),
)

# acquisition channel -> (share of signups, activation multiplier, retention multiplier)
CHANNELS: dict[str, tuple[float, float, float]] = {
    "organic_search": (0.32, 1.00, 1.00),
    "paid_search": (0.22, 0.85, 0.80),
    "social": (0.20, 0.80, 0.75),
    "referral": (0.16, 1.25, 1.30),
    "partner": (0.10, 1.10, 1.15),
}

COUNTRIES: tuple[tuple[str, float], ...] = (
    ("US", 0.42),
    ("GB", 0.12),
    ("DE", 0.09),
    ("FR", 0.07),
    ("CA", 0.07),
    ("AU", 0.06),
    ("NL", 0.05),
    ("ES", 0.04),
    ("IT", 0.04),
    ("BR", 0.04),
)
# countries whose invoices carry 20% VAT (exclusive); MRR excludes tax
VAT_COUNTRIES = frozenset({"GB", "DE", "FR", "NL", "ES", "IT"})
VAT_PERCENT = 20

THEMES = ("minimal", "grid", "noir", "editorial", "panorama", "atelier")

# Segment event catalogue. App events use the B2B SaaS spec names where one exists and
# Folio's own names in the same "Object Action" style for the rest.
APP_TRACK_EVENTS = (
    "Signed Up",
    "Signed In",
    "Signed Out",
    "Account Created",
    "Trial Started",
    "Trial Ended",
    "Invite Sent",
    "Site Created",
    "Image Uploaded",
    "Image Deleted",
    "Site Published",
    "Theme Changed",
    "Domain Connected",
    "Plan Changed",
    "Subscription Canceled",
    "Subscription Reactivated",
    "Gallery Shared",
)
APP_PAGES = ("Dashboard", "Editor", "Media Library", "Settings", "Billing", "Analytics", "Themes")
MARKETING_PAGES = ("Home", "Pricing", "Features", "Examples", "Sign Up")
SITE_PAGES = ("Home", "Portfolio", "Gallery", "About", "Contact", "Blog")
# names a broken client sends; the platform must count them, not crash on them
UNKNOWN_TRACK_EVENTS = ("legacy_gallery_view", "Test Event", "Image Uploded", "button_click")

REFERRERS: tuple[tuple[str | None, float], ...] = (
    (None, 0.34),
    ("https://www.google.com/", 0.26),
    ("https://www.instagram.com/", 0.18),
    ("https://www.pinterest.com/", 0.08),
    ("https://www.facebook.com/", 0.06),
    ("https://www.behance.net/", 0.04),
    ("https://mail.google.com/", 0.04),
)
CAMPAIGNS = ("spring-wedding-promo", "newsletter", "instagram-bio", "portfolio-review")

HUMAN_USER_AGENTS = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 15; Pixel 9) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36",
    "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
)
BOT_USER_AGENTS = (
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)",
    "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
    "python-requests/2.32.3",
)

# Schema drift: from this fraction of the range on, these new fields appear.
DRIFT_FRACTION = 0.7
STRIPE_DRIFT = ("subscription", "billing_mode")  # Stripe added billing_mode in 2025
SEGMENT_DRIFT = "timezone"  # context.timezone starts being sent

# Base defect rates (multiplied by FOLIO_DEFECT_RATE).
DEFECT_RATES = {
    "malformed_json": 0.0005,  # per written line, Segment and Stripe files
    "duplicate_message": 0.004,  # per Segment message: delivered twice
    "late_event": 0.003,  # per Segment message: received 1-3 days later
    "out_of_order": 0.003,  # per app message: delivered after a later one
    "clock_skew_device": 0.02,  # per app user/visitor device: clock off by minutes..days
    "missing_required": 0.0005,  # per Segment message: a required field dropped
    "unknown_event": 0.0008,  # per app track: an event name outside the catalogue
    "missing_id": 0.0003,  # per Stripe object line: object without an id
    "bot_visitors_per_day": 2.0,  # bot crawlers per day across all sites
}


def drift_day(start: dt.date, end: dt.date, fraction: float) -> dt.date:
    return start + dt.timedelta(days=int((end - start).days * fraction))
