"""`folio publish`, `rollback` and `snapshots`: which snapshot of the marts is served."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import typer
from rich.table import Table

from folio.cli.app import app, console, load_settings, optional_day
from folio.config import yesterday_utc
from folio.core.window import Window


@app.command("publish")
def publish_cmd(
    run_id: Annotated[
        str | None, typer.Option(help="Run id to record (default: manual__<now>).")
    ] = None,
    start: Annotated[str | None, typer.Option(help="First day the marts cover.")] = None,
    end: Annotated[
        str | None, typer.Option(help="Last day the marts cover (default: yesterday).")
    ] = None,
) -> None:
    """Publish the build file's marts now: snapshot, verify, serve (operators)."""
    from folio.warehouse.publish import publish

    settings = load_settings()
    last = optional_day(end, "--end") or yesterday_utc()
    first = optional_day(start, "--start") or last
    rid = run_id or f"manual__{dt.datetime.now(dt.UTC):%Y-%m-%dT%H:%M:%S}"
    pub = publish(settings, rid, Window(first, last))
    console.print(f"published {pub.run_id}: {pub.summary()}", markup=False, highlight=False)


@app.command()
def rollback(
    to: Annotated[str | None, typer.Option(help="Run id whose snapshot to serve.")] = None,
) -> None:
    """Serve an earlier snapshot of the marts (the one before the served one by default)."""
    from folio.warehouse.publish import rollback as do_rollback

    pub = do_rollback(load_settings(), to)
    console.print(f"now serving {pub.run_id}: {pub.summary()}", markup=False, highlight=False)


@app.command("snapshots")
def list_snapshots() -> None:
    """The kept snapshots of the marts, newest first; the served one is marked."""
    from folio.warehouse.publish import is_served, snapshots

    settings = load_settings()
    table = Table(title="published snapshots (newest first)")
    for col in ("", "run", "interval", "published (UTC)", "code", "tables", "rows"):
        table.add_column(col, no_wrap=True)
    for p in snapshots(settings):
        s = p.summary()
        mark = "*" if is_served(settings, p.path) else ""
        table.add_row(
            mark,
            s["run_id"],
            s["interval"],
            s["published_at"][:16],
            s["code_version"],
            str(s["tables"]),
            f"{s['rows']:,}",
        )
    console.print(table)
