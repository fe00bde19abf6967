"""`folio quality`: the quality gates' files."""

from __future__ import annotations

import typer

from folio.cli.app import app, console
from folio.core.errors import FolioError

quality_app = typer.Typer(help="The quality gates' files (expectations/).", no_args_is_help=True)
app.add_typer(quality_app, name="quality")


@quality_app.command("lint")
def quality_lint() -> None:
    """Check every GX suite and checkpoint file; each problem named by file and expectation."""
    from folio.quality.suites import EXPECTATIONS_DIR, lint

    problems = lint()
    for p in problems:
        console.print(p, markup=False, highlight=False, soft_wrap=True)
    if problems:
        raise FolioError(f"{len(problems)} problem(s) in {EXPECTATIONS_DIR}")
    console.print(f"{EXPECTATIONS_DIR}: every checkpoint and suite is valid")
