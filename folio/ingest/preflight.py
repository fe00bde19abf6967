"""``check_sources``, the first stage: every source delivered every day of the window, and
what landed per source."""

from __future__ import annotations

import datetime as dt
import gzip
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import sqlalchemy as sa

from folio.config import Settings
from folio.contracts import appdb
from folio.contracts.delivery import undelivered
from folio.core import lake
from folio.core.errors import FolioError
from folio.core.results import StageResult
from folio.core.window import Window
from folio.ingest.app_db_read import app_db_url, mask_password


def _count_lines(path: Path) -> int:
    n = 0
    with gzip.open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            n += chunk.count(b"\n")
    return n


def check_sources(settings: Settings, window: Window, run_id: str) -> StageResult:
    """Pre-flight: every source has delivered every day of the window.

    A delivery is marked by ``landing/<source>/_delivered/<day>`` (what an exporter writes
    last). Counts what landed per source: Stripe objects per type, Segment messages per
    stream, app-DB rows changed in the window per table. A missing delivery fails the run
    with the days it lacks and the marker path it looked for, before anything downstream
    reads a partial day, unless FOLIO_OPTIONAL_SOURCES allows the source to miss days.
    A lake on object storage that cannot be reached fails it too.
    """
    lake.check_reachable(settings.lake)
    landing = settings.landing
    missing: dict[str, list[str]] = {}
    allowed: dict[str, list[str]] = {}
    for source in ("stripe", "segment"):
        lacking = [str(d) for d in undelivered(settings, source, window)]
        if lacking:
            (allowed if settings.is_optional(source) else missing)[source] = lacking
    if missing:
        detail = "; ".join(
            f"{s}: {len(d)} day(s), first {d[0]} ({landing / s / '_delivered' / d[0]} is missing)"
            for s, d in missing.items()
        )
        raise FolioError(f"sources not delivered for window {window}: {detail}")

    # (counter, key, file): Stripe objects by type, Segment messages by stream
    found: list[tuple[dict[str, int], str, Path]] = []
    stripe: dict[str, int] = {}
    segment: dict[str, int] = {}
    for day in window.days():
        part = f"dt={day}"
        for path in sorted((landing / "stripe").glob(f"*/{part}/*.jsonl.gz")):
            found.append((stripe, path.parent.parent.name, path))
        for path in sorted((landing / "segment" / part).glob("*.jsonl.gz")):
            found.append((segment, path.name.rsplit("-", 1)[0], path))
    # zlib decompresses outside the GIL: one thread per core reads the files side by side
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        for (counter, key, _), lines in zip(
            found, pool.map(_count_lines, [path for *_, path in found]), strict=True
        ):
            counter[key] = counter.get(key, 0) + lines
    files = len(found)

    url = app_db_url(settings)
    mask_password(url)
    engine = appdb.connect(url)
    lo = dt.datetime.combine(window.start, dt.time())
    hi = dt.datetime.combine(window.end + dt.timedelta(days=1), dt.time())
    app_db: dict[str, int] = {}
    try:
        with engine.connect() as conn:
            for table in appdb.TABLES:
                try:
                    app_db[table.name] = conn.execute(
                        sa.select(sa.func.count())
                        .select_from(table)
                        .where(table.c.updated_at >= lo, table.c.updated_at < hi)
                    ).scalar_one()
                except sa.exc.SQLAlchemyError as exc:
                    raise FolioError(
                        f"app database has no usable table {table.name}: {str(exc).splitlines()[0]}"
                    ) from None
    finally:
        engine.dispose()
    rows = sum(stripe.values()) + sum(segment.values()) + sum(app_db.values())
    return StageResult(
        rows=rows,
        details={
            **({"undelivered_optional": allowed} if allowed else {}),
            "days": window.n_days,
            "files": files,
            "stripe": stripe,
            "segment": segment,
            "app_db": app_db,
        },
    )
