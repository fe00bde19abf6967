"""Time on the simulated clock: epoch milliseconds, the ISO strings the sources write, and the
daily and seasonal rhythm of activity.

Every timestamp inside the simulator is an integer of epoch milliseconds (UTC): the hot paths
build no datetime objects.
"""

from __future__ import annotations

import calendar
import datetime as dt
import time

DAY_MS = 86_400_000
HOUR_MS = 3_600_000
MIN_MS = 60_000
# relative activity by calendar month (January first) and by hour of the day (UTC)
MONTH_SEASON = (1.1, 1.0, 1.2, 1.3, 1.3, 1.1, 0.9, 0.9, 1.1, 1.0, 0.9, 0.7)
HOUR_WEIGHTS = (1, 1, 1, 1, 1, 2, 3, 5, 7, 8, 8, 8, 7, 8, 8, 8, 8, 7, 7, 8, 8, 6, 4, 2)


def day_ms(day: dt.date) -> int:
    """Midnight UTC of ``day``."""
    return calendar.timegm(day.timetuple()) * 1000


_DAY_PREFIX: dict[int, str] = {}


def iso(ms: int) -> str:
    """ISO 8601 UTC with milliseconds, as Segment writes it (hot path: no datetime objects)."""
    seconds, millis = divmod(ms, 1000)
    days, second_of_day = divmod(seconds, 86_400)
    prefix = _DAY_PREFIX.get(days)
    if prefix is None:
        prefix = _DAY_PREFIX[days] = time.strftime("%Y-%m-%d", time.gmtime(days * 86_400))
    hour, rest = divmod(second_of_day, 3600)
    minute, second = divmod(rest, 60)
    return f"{prefix}T{hour:02d}:{minute:02d}:{second:02d}.{millis:03d}Z"


def iso_ms(text: str) -> int:
    """The epoch milliseconds of an :func:`iso` string."""
    return calendar.timegm(time.strptime(text[:19], "%Y-%m-%dT%H:%M:%S")) * 1000 + int(text[20:23])


def as_dt(ms: int) -> dt.datetime:
    """A naive UTC datetime, as the app database stores it."""
    return dt.datetime(1970, 1, 1) + dt.timedelta(milliseconds=ms)


def segment_timestamp(received: int, sent_device: int, original_device: int) -> int:
    """Segment's clock-skew correction: receivedAt - (sentAt - originalTimestamp)."""
    return received - (sent_device - original_device)
