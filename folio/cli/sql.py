"""`folio sql` and `folio dbt`: ad-hoc queries on the served marts, and dbt by hand."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from folio.cli.app import app, console, load_settings
from folio.config import yesterday_utc
from folio.core.errors import FolioError
from folio.core.window import Window


@app.command()
def sql(
    query: Annotated[
        str | None, typer.Argument(help="The query; none: an interactive prompt.")
    ] = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help="table, csv or json.")] = "table",
) -> None:
    """Ad-hoc SQL on the served marts: read-only, no file access (`folio sql "select ..."`)."""
    from folio.warehouse import sql as folio_sql
    from folio.warehouse.publish import served_path

    settings = load_settings()
    served = served_path(settings)
    if fmt not in folio_sql.FORMATS:
        raise FolioError(f"--format {fmt}: one of {', '.join(folio_sql.FORMATS)}")
    if query is not None:
        cols, rows = folio_sql.run(served, query)
        sys.stdout.write(folio_sql.render(cols, rows, fmt))
        return
    console.print(
        f"folio sql on {served} (read-only). End a query with ';'. Ctrl-D quits.",
        markup=False,
        highlight=False,
    )
    buffer: list[str] = []
    while True:
        try:
            line = input("sql> " if not buffer else "...> ")
        except EOFError:
            break
        buffer.append(line)
        if not line.rstrip().endswith(";"):
            continue
        text, buffer = "\n".join(buffer), []
        try:
            cols, rows = folio_sql.run(served, text)
        except FolioError as exc:
            console.print(f"error: {exc}", markup=False, highlight=False)
            continue
        sys.stdout.write(folio_sql.render(cols, rows, fmt))


@app.command(
    context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
    help="Run dbt on the warehouse with the pipeline's environment, e.g. `folio dbt build -s "
    "mrr_monthly` or `folio dbt docs generate`. The interval vars default to yesterday.",
)
def dbt(ctx: typer.Context) -> None:
    from folio.warehouse.transform import run_dbt

    settings = load_settings()
    args = list(ctx.args)
    if not args:
        raise FolioError("give dbt a command, e.g. `folio dbt build`")
    day = yesterday_utc()
    window = None if "--vars" in args else Window(day, day)
    res = run_dbt(settings, args, window)
    if not res.success:
        raise typer.Exit(1)
