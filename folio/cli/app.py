"""The shared `folio` typer app and what every command needs: settings, day options, output
consoles, and the translation of errors into one line and an exit code.

The command modules register themselves on ``app``; this module imports none of them.
"""

from __future__ import annotations

import datetime as dt
import sys

import typer
from pydantic import ValidationError
from rich.console import Console

from folio.config import Settings, get_settings
from folio.core.errors import FolioError
from folio.core.window import parse_day

app = typer.Typer(
    name="folio",
    help="Folio's data platform: nightly ELT into DuckDB, Spark, dbt marts, quality gates.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
# piped output (make run, CI logs) gets a readable width instead of rich's 80 columns
console = Console(width=None if sys.stdout.isatty() else 160)
err = Console(stderr=True)


def load_settings() -> Settings:
    try:
        settings = get_settings()
    except ValidationError as exc:
        first = exc.errors()[0]
        name = "FOLIO_" + str(first["loc"][0]).upper() if first["loc"] else "FOLIO_*"
        raise FolioError(f"bad setting {name}: {first['msg']}") from None
    settings.ensure_home()
    return settings


def optional_day(value: str | None, what: str) -> dt.date | None:
    return None if value is None else parse_day(value, what)


def fmt_seconds(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    return f"{seconds:.1f} s" if seconds < 120 else f"{seconds / 60:.1f} min"


def invoke(argv: list[str] | None) -> int:
    """Run ``app`` on ``argv``: usage errors exit 2, other errors 1, each as one line."""
    try:
        app(args=argv, prog_name="folio", standalone_mode=False)
    except FolioError as exc:
        err.print(f"error: {exc}", markup=False, highlight=False, soft_wrap=True)
        return 1
    except typer.Exit as exc:
        return exc.exit_code
    except typer.Abort:
        err.print("error: aborted", markup=False)
        return 130
    except typer.TyperException as exc:  # click's usage errors (typer vendors click)
        if type(exc).__name__ == "NoArgsIsHelpError":
            err.print(exc.format_message(), markup=False, highlight=False)
            return 2
        ctx = getattr(exc, "ctx", None)
        hint = f" (see `{ctx.command_path} --help`)" if ctx is not None else ""
        err.print(
            f"error: {exc.format_message()}{hint}", markup=False, highlight=False, soft_wrap=True
        )
        return getattr(exc, "exit_code", 2)
    return 0
