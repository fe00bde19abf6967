"""`folio sql`: ad-hoc SQL on the served marts, for people who prefer a terminal.

The served file (``warehouse/folio.duckdb``) is opened read-only, with DuckDB's external
access off and its configuration locked: no writes, no files (``read_csv('/etc/passwd')``),
no extensions, no ATTACH, and a query cannot switch these back on. Each query opens the file
anew, so a publish between two queries is seen by the second.
"""

from __future__ import annotations

import csv
import datetime as dt
import decimal
import io
import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from folio.core.errors import FolioError

FORMATS = ("table", "csv", "json")
SAFE_CONFIG = {"enable_external_access": False, "lock_configuration": True}


def connect(served: Path):
    import duckdb

    if not served.exists():
        raise FolioError(
            f"no data published yet: {served} does not exist (run `make run`, or wait for the"
            " nightly run to publish the marts)"
        )
    return duckdb.connect(str(served), read_only=True, config=SAFE_CONFIG)


def run(served: Path, query: str) -> tuple[list[str], list[tuple[Any, ...]]]:
    """Column names and rows of one query against the served file."""
    import duckdb

    with connect(served) as con:
        try:
            rel = con.sql(query)
        except duckdb.Error as exc:
            raise FolioError(f"{type(exc).__name__}: {str(exc).splitlines()[0]}") from None
        if rel is None:  # a statement without a result (SET, PRAGMA ...)
            return [], []
        return list(rel.columns), rel.fetchall()


def _text(value: Any) -> str:
    if value is None:
        return ""
    return str(value)


def _jsonable(value: Any) -> Any:
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, dt.date | dt.datetime | dt.time):
        return value.isoformat()
    return value


def render(columns: Sequence[str], rows: Iterable[Sequence[Any]], fmt: str) -> str:
    rows = list(rows)
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows([[_text(v) for v in row] for row in rows])
        return out.getvalue()
    if fmt == "json":
        return (
            json.dumps(
                [{c: _jsonable(v) for c, v in zip(columns, row, strict=True)} for row in rows],
                indent=1,
            )
            + "\n"
        )
    if fmt != "table":
        raise FolioError(f"unknown format {fmt!r}: one of {', '.join(FORMATS)}")
    cells = [[_text(v) for v in row] for row in rows]
    widths = [max([len(c), *(len(r[i]) for r in cells)]) for i, c in enumerate(columns)]
    numeric = [
        all(isinstance(row[i], int | float | decimal.Decimal) or row[i] is None for row in rows)
        and bool(rows)
        for i in range(len(columns))
    ]

    def line(values: Sequence[str]) -> str:
        return " | ".join(
            v.rjust(w) if num else v.ljust(w)
            for v, w, num in zip(values, widths, numeric, strict=True)
        ).rstrip()

    lines = [line(list(columns)), "-+-".join("-" * w for w in widths)]
    lines += [line(r) for r in cells]
    lines.append(f"({len(rows)} row{'s' if len(rows) != 1 else ''})")
    return "\n".join(lines) + "\n"
