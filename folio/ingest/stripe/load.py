"""Load Stripe exports: ``landing/stripe/<object>/dt=D/*.jsonl[.gz]`` -> typed Parquet.

Per object and day, ``lake/raw/stripe/<object>/dt=D`` holds one row per object version
delivered that day: the columns the marts need (``specs``), the fields new to this
pipeline (``unknown_fields``), the object exactly as delivered (``raw_json``) and where it
came from (``_source_file``, ``_line_number``). Nested lists become child tables
(``subscription_item``, ``subscription_discount``, ``invoice_line``, ``invoice_payment``).

Every input line is accounted for: written, or quarantined in
``lake/quarantine/stripe/<object>/dt=D`` with its file, line and reason (unparseable JSON,
wrong object type, no id, a broken contract, a duplicate id in the day, a corrupt gzip
file). The ingest ledger records per file: lines read = rows written + rows quarantined.
"""

from __future__ import annotations

import gzip
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa

from folio.config import Settings
from folio.contracts.delivery import undelivered
from folio.core import lake, ledger
from folio.core.errors import FolioError
from folio.core.results import StageResult
from folio.core.window import Window
from folio.ingest.stripe.columns import KINDS, Col, Reject
from folio.ingest.stripe.parser import Parser
from folio.ingest.stripe.specs import SPECS, ObjectSpec

SOURCE = "stripe"

PROVENANCE = [pa.field("_source_file", pa.string()), pa.field("_line_number", pa.int64())]


def object_schema(spec: ObjectSpec) -> pa.Schema:
    fields = [pa.field(spec.id_col, pa.string(), nullable=False)]
    fields += [pa.field(c.name, KINDS[c.kind]) for c in spec.cols]
    if spec.deletable:
        fields.append(pa.field("is_deleted", pa.bool_()))
    fields += [
        pa.field("unknown_fields", pa.list_(pa.string())),
        pa.field("raw_json", pa.string()),
        *PROVENANCE,
    ]
    return pa.schema(fields)


def child_schema(cols: tuple[Col, ...]) -> pa.Schema:
    return pa.schema([pa.field(c.name, KINDS[c.kind]) for c in cols])


def _column(values, kind: str) -> pa.Array:
    if kind == "ts":
        return pa.array(values, pa.timestamp("s")).cast(pa.timestamp("us"))
    return pa.array(values, KINDS[kind])


def _table(schema: pa.Schema, kinds: list[str | None], columns: list) -> pa.Table:
    """A table from column value sequences; ``kinds`` marks the spec columns to convert."""
    arrays = [
        _column(values, kind) if kind else pa.array(values, f.type)
        for f, kind, values in zip(schema, kinds, columns, strict=True)
    ]
    return pa.Table.from_arrays(arrays, schema=schema)


def _transpose(rows: list[list], width: int) -> list:
    return list(zip(*rows, strict=True)) if rows else [()] * width


@dataclass
class _Good:
    id: str
    extracted: Any
    raw: bytes
    file: str
    line: int


@dataclass
class _FileCount:
    input: str
    lines_read: int = 0
    rows_written: int = 0
    rows_quarantined: int = 0
    status: str = "ok"
    reason: str | None = None


@dataclass
class DayLoad:
    """One object's day: the rows kept, the quarantine, the per-file accounting."""

    good: list[_Good] = field(default_factory=list)
    quarantine: list[dict] = field(default_factory=list)
    files: list[_FileCount] = field(default_factory=list)
    truncated: int = 0


def _opener(path: Path):
    return gzip.open(path, "rb") if path.name.endswith(".gz") else path.open("rb")


def _quarantine_record(
    obj: str, rel: str, line: int | None, reason: str, raw: bytes | None, record_id=None
):
    return {
        "source": SOURCE,
        "table_name": obj,
        "source_file": rel,
        "line_number": line,
        "record_id": record_id,
        "reason": reason,
        "raw": raw.decode("utf-8", "replace") if raw is not None else None,
    }


def read_file(path: Path, rel: str, parser: Parser, out: DayLoad) -> None:
    """Classify every line of one export file into ``out`` (kept or quarantined)."""
    count = _FileCount(rel)
    out.files.append(count)
    data = bytearray()
    corrupt = None
    try:
        with _opener(path) as fh:
            while chunk := fh.read1(1 << 16):  # read1: a cut file keeps what came before
                data += chunk
    except (OSError, EOFError, zlib.error) as exc:
        corrupt = f"{type(exc).__name__}: {exc}"
    lines = bytes(data).split(b"\n")
    if lines[-1] == b"":  # the newline that ends the last line (or an empty file)
        lines.pop()
    count.lines_read = len(lines)
    if corrupt is not None:
        # the whole file is quarantined: its readable lines keep their text for recovery
        count.status = "corrupt"
        count.reason = f"corrupt file ({corrupt}); {len(lines)} line(s) readable before the error"
        count.rows_quarantined = len(lines)
        reason = f"corrupt file, quarantined whole: {corrupt}"
        obj_type = parser.spec.object
        out.quarantine += [
            _quarantine_record(obj_type, rel, n, reason, raw.rstrip(b"\r"))
            for n, raw in enumerate(lines, start=1)
        ]
        if not lines:
            out.quarantine.append(_quarantine_record(obj_type, rel, None, reason, None))
        return
    parse = parser.parse
    good = out.good
    for n, raw in enumerate(lines, start=1):
        if raw[-1:] == b"\r":
            raw = raw[:-1]
        try:
            ex = parse(raw)
        except Reject as rej:
            count.rows_quarantined += 1
            out.quarantine.append(
                _quarantine_record(parser.spec.object, rel, n, rej.reason, raw, rej.record_id)
            )
            continue
        good.append(_Good(ex.id, ex, raw, rel, n))
        out.truncated += ex.truncated


def load_day(landing: Path, parser: Parser, day) -> DayLoad:
    """Read every export file of one object and day; keep the last version of each id."""
    spec = parser.spec
    out = DayLoad()
    folder = landing / "stripe" / spec.object / f"dt={day.isoformat()}"
    files = sorted([*folder.glob("*.jsonl.gz"), *folder.glob("*.jsonl")] if folder.is_dir() else [])
    for path in files:
        read_file(path, str(path.relative_to(landing)), parser, out)
    # a day holds one version per object: an id seen again supersedes the earlier line
    last: dict[str, _Good] = {}
    for g in out.good:
        last[g.id] = g
    if len(last) < len(out.good):
        counts = {c.input: c for c in out.files}
        kept = []
        for g in out.good:
            winner = last[g.id]
            if winner is g:
                kept.append(g)
                continue
            counts[g.file].rows_quarantined += 1
            out.quarantine.append(
                _quarantine_record(
                    spec.object,
                    g.file,
                    g.line,
                    f"duplicate id in the day: superseded by {winner.file}:{winner.line}",
                    g.raw,
                    g.id,
                )
            )
        out.good = kept
    for c in out.files:
        c.rows_written = c.lines_read - c.rows_quarantined
    return out


def _tables(spec: ObjectSpec, good: list[_Good]) -> dict[str, pa.Table]:
    kinds: list[str | None] = [None, *(c.kind for c in spec.cols)]
    columns = [
        [g.id for g in good],
        *_transpose([g.extracted.values for g in good], len(spec.cols)),
    ]
    if spec.deletable:
        kinds.append(None)
        columns.append([g.extracted.is_deleted for g in good])
    kinds += [None] * 4
    columns += [
        [g.extracted.unknown or None for g in good],
        [g.raw.decode() for g in good],
        [g.file for g in good],
        [g.line for g in good],
    ]
    out = {spec.object: _table(object_schema(spec), kinds, columns)}
    for child in spec.children:
        crow = [r for g in good for r in g.extracted.children[child.name]]
        out[child.name] = _table(
            child_schema(child.cols),
            [c.kind for c in child.cols],
            _transpose(crow, len(child.cols)),
        )
    return out


def load_stripe(settings: Settings, window: Window, run_id: str) -> StageResult:
    """Load the window's Stripe exports into the lake, one partition per table and day."""
    missing = undelivered(settings, SOURCE, window)
    if missing and not settings.is_optional(SOURCE):
        first = settings.landing / SOURCE / "_delivered" / missing[0].isoformat()
        raise FolioError(
            f"the Stripe export is not delivered for {len(missing)} day(s) of {window}: "
            f"{first} is missing (FOLIO_OPTIONAL_SOURCES=stripe loads such days as empty)"
        )
    raw_root = settings.lake / "raw" / SOURCE
    q_root = settings.lake / "quarantine" / SOURCE
    written: dict[str, int] = {}
    quarantined: dict[str, int] = {}
    drift: dict[str, dict[str, Any]] = {}
    truncated: dict[str, int] = {}
    corrupt: list[str] = []
    ledger_rows: list[dict] = []
    parsers = {name: Parser(spec) for name, spec in SPECS.items()}
    for day in window.days():
        for name, spec in SPECS.items():
            loaded = load_day(settings.landing, parsers[name], day)
            for table, data in _tables(spec, loaded.good).items():
                lake.put_partition(lake.partition_dir(raw_root / table, day), data)
                written[table] = written.get(table, 0) + data.num_rows
            lake.write_quarantine(lake.partition_dir(q_root / name, day), loaded.quarantine)
            quarantined[name] = quarantined.get(name, 0) + len(loaded.quarantine)
            if loaded.truncated:
                truncated[name] = truncated.get(name, 0) + loaded.truncated
            for g in loaded.good:
                for f in g.extracted.unknown:
                    k = f"{name}.{f}"
                    seen = drift.setdefault(k, {"rows": 0, "first_day": day.isoformat()})
                    seen["rows"] += 1
            for c in loaded.files:
                if c.status == "corrupt":
                    corrupt.append(c.input)
                ledger_rows.append(
                    {
                        "table_name": name,
                        "dt": day,
                        "input": c.input,
                        "status": c.status,
                        "lines_read": c.lines_read,
                        "rows_written": c.rows_written,
                        "rows_quarantined": c.rows_quarantined,
                        "reason": c.reason,
                    }
                )
    ledger.record_ingest(
        settings.ledger_path, run_id, SOURCE, (window.start, window.end), ledger_rows
    )
    objects = {k: written.get(k, 0) for k in SPECS}
    details: dict[str, Any] = {
        "objects": objects,
        "child_rows": {k: v for k, v in written.items() if k not in SPECS},
        "quarantined": quarantined,
        "files": len(ledger_rows),
    }
    if drift:
        details["new_fields"] = drift
    if corrupt:
        details["corrupt_files"] = corrupt
    if truncated:
        details["truncated_lists"] = truncated
    if missing:
        details["undelivered_days"] = [d.isoformat() for d in missing]
    return StageResult(rows=sum(objects.values()), details=details)
