"""What a simulation is asked for (its parameters) and what it reports (its summary)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class SimParams:
    start: dt.date
    end: dt.date
    accounts: int = 2000
    seed: int = 42
    traffic: float = 1.0
    defect_rate: float = 1.0

    def days(self) -> list[dt.date]:
        return [self.start + dt.timedelta(days=i) for i in range((self.end - self.start).days + 1)]


@dataclass
class SimSummary:
    params: dict[str, Any]
    seconds: float
    segment_messages: int
    stripe_objects: int
    app_rows: dict[str, int]
    defects: dict[str, int]
    files: int
    bytes: int

    @property
    def events_per_second(self) -> float:
        return self.segment_messages / self.seconds if self.seconds else 0.0
