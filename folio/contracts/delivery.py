"""Delivery markers: a file source (Stripe, Segment) marks a day delivered by writing
``landing/<source>/_delivered/<day>`` last, after the day's files."""

from __future__ import annotations

import datetime as dt

from folio.config import Settings
from folio.core.window import Window


def delivered_days(settings: Settings) -> list[dt.date]:
    """Days every file source (Stripe, Segment) has marked delivered, in order."""
    sets = []
    for source in ("stripe", "segment"):
        marks = settings.landing / source / "_delivered"
        sets.append({p.name for p in marks.iterdir()} if marks.is_dir() else set())
    return sorted(dt.date.fromisoformat(d) for d in set.intersection(*sets))


def undelivered(settings: Settings, source: str, window: Window) -> list[dt.date]:
    """The days of the window without the source's delivery marker ``_delivered/<day>``."""
    marks = settings.landing / source / "_delivered"
    return [d for d in window.days() if not (marks / d.isoformat()).exists()]
