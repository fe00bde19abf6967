"""The window of UTC days a run works on, derived from Airflow's data interval.

``folio_nightly`` runs at 02:00 UTC on a ``CronDataIntervalTimetable``: its data interval
runs from 02:00 on day D to 02:00 on D+1, and the run processes the UTC day D. A run over
a longer interval (an initial history load, a backfill as one run) passes the first and
last day in the run's conf; every stage uses the same window either way.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from folio.core.errors import FolioError


@dataclass(frozen=True)
class Window:
    start: dt.date  # first day, inclusive
    end: dt.date  # last day, inclusive

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise FolioError(f"window ends ({self.end}) before it starts ({self.start})")

    def days(self) -> Iterator[dt.date]:
        d = self.start
        while d <= self.end:
            yield d
            d += dt.timedelta(days=1)

    @property
    def n_days(self) -> int:
        return (self.end - self.start).days + 1

    def __str__(self) -> str:
        return str(self.start) if self.start == self.end else f"{self.start}..{self.end}"


def parse_day(value: str, what: str = "date") -> dt.date:
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise FolioError(f"bad {what} {value!r}: expected YYYY-MM-DD") from None


def from_interval(
    start: dt.datetime, end: dt.datetime, conf: Mapping[str, Any] | None = None
) -> Window:
    """The UTC days covered by ``[start, end)``, or the days named in the run's conf."""
    conf = conf or {}
    if conf.get("start") or conf.get("end"):
        first = parse_day(conf.get("start") or conf["end"], "conf start")
        last = parse_day(conf.get("end") or conf["start"], "conf end")
        return Window(first, last)
    first = start.astimezone(dt.UTC).date()
    # [D 02:00, D+1 02:00) -> D ; [A 00:00, B+1 00:00) -> A..B ; a sub-day interval -> its day
    last = max(first, end.astimezone(dt.UTC).date() - dt.timedelta(days=1))
    return Window(first, last)
