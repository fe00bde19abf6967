"""The pipeline's DuckDB connections: one place that opens them.

Every connection gets the memory cap (``FOLIO_DUCKDB_MEMORY_LIMIT``, it spills past it)
and, when the lake is on object storage (``FOLIO_LAKE_URL``), the lake's fsspec
filesystem, so ``read_parquet('s3://...')`` reads it. ``folio sql`` is the one deliberate
exception: it opens the served file with its own locked configuration.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb

from folio.config import Settings


def connect(
    settings: Settings, database: str | Path = ":memory:", *, read_only: bool = False
) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(database), read_only=read_only, config=settings.duckdb_config)
    register_lake(settings, con)
    return con


def register_lake(settings: Settings, con: Any) -> None:
    """Make a remote lake readable on ``con`` (a DuckDB connection, or duckdb_engine's)."""
    fs = settings.lake_filesystem()
    if fs is None:
        return
    protocol = fs.protocol if isinstance(fs.protocol, str) else fs.protocol[0]
    if protocol not in con.list_filesystems():  # a pooled connection has it already
        con.register_filesystem(fs)
