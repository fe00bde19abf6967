"""What every stage returns: the rows it handled and the details the ledger keeps."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class StageResult:
    rows: int
    details: dict[str, Any] = field(default_factory=dict)
