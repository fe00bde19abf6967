"""Writers of the landing zone: gzip JSON-lines part files and the defect manifest.

Line-level defects (malformed JSON, a dropped required field, a Stripe object without id)
are applied here, at write time, to lines that carry no other defect, so that every
defect sits at one exact ``(file, line)`` recorded in the manifest.
"""

from __future__ import annotations

import datetime as dt
import gzip
import random
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import msgspec

from folio.simulator.params import SimParams

_encode = msgspec.json.Encoder().encode

MANIFEST_NAME = "_manifest/defects.jsonl"
RUN_NAME = "_manifest/simulation.json"


class Manifest:
    """Every injected defect, one JSON object per line (read by tests and later stages)."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._fh = path.open("wb")
        self.counts: dict[str, int] = {}

    def add(self, defect: str, **fields: Any) -> None:
        self.counts[defect] = self.counts.get(defect, 0) + 1
        self._fh.write(_encode({"defect": defect, **fields}) + b"\n")

    def close(self) -> None:
        self._fh.close()


def read_manifest(landing: Path) -> list[dict[str, Any]]:
    path = landing / MANIFEST_NAME
    with path.open("rb") as fh:
        return [msgspec.json.decode(line) for line in fh if line.strip()]


class PartWriter:
    """Writes one day's JSON lines into ``<dir>/<prefix>-NNNNN.jsonl.gz`` parts.

    ``corrupt`` decides, per clean line, whether to damage it; it returns ``None`` (write
    as is) or ``(defect, fields, payload_bytes)``.
    """

    def __init__(
        self,
        directory: Path,
        prefix: str,
        root: Path,
        manifest: Manifest,
        max_lines: int = 250_000,
    ) -> None:
        self.directory = directory
        self.prefix = prefix
        self.root = root
        self.manifest = manifest
        self.max_lines = max_lines
        self.part = -1
        self.line = 0
        self.lines_total = 0
        self._fh: Any = None
        self.rel = ""

    def _roll(self) -> None:
        if self._fh is not None:
            self._fh.close()
        self.part += 1
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self.directory / f"{self.prefix}-{self.part:05d}.jsonl.gz"
        # mtime=0: identical inputs give byte-identical files (determinism test)
        self._fh = gzip.GzipFile(
            filename="", mode="wb", compresslevel=3, mtime=0, fileobj=path.open("wb")
        )
        self._raw = self._fh.fileobj
        self.rel = str(path.relative_to(self.root))
        self.line = 0

    def write(
        self,
        obj: dict[str, Any],
        defects: Iterable[tuple[str, dict[str, Any]]] = (),
        corrupt: Callable[[dict[str, Any]], tuple[str, dict[str, Any], bytes] | None] | None = None,
    ) -> None:
        if self._fh is None or self.line >= self.max_lines:
            self._roll()
        self.line += 1
        self.lines_total += 1
        defects = list(defects)
        payload = None
        if not defects and corrupt is not None:
            hit = corrupt(obj)
            if hit is not None:
                defect, fields, payload = hit
                defects = [(defect, fields)]
        if payload is None:
            payload = _encode(obj)
        self._fh.write(payload + b"\n")
        for defect, fields in defects:
            self.manifest.add(defect, file=self.rel, line=self.line, **fields)

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._raw.close()
            self._fh = None


def truncate_json(rng: random.Random, obj: dict[str, Any]) -> bytes:
    """A line cut off mid-object, as a crashed writer or a bad copy leaves it."""
    raw = _encode(obj)
    return raw[: max(1, rng.randint(len(raw) // 4, len(raw) - 2))]


def simulated_params(landing: Path) -> SimParams | None:
    """The SimParams of the simulation in ``landing``, or None."""
    try:
        params = msgspec.json.decode((landing / RUN_NAME).read_bytes())["params"]
        params["start"] = dt.date.fromisoformat(params["start"])
        params["end"] = dt.date.fromisoformat(params["end"])
        return SimParams(**params)
    except (OSError, KeyError, TypeError, ValueError, msgspec.DecodeError):
        return None
