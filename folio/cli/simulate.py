"""`folio simulate`: fill the landing zone and the app DB with simulated sources."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table

from folio.cli.app import app, console, err, fmt_seconds, load_settings, optional_day
from folio.core.errors import FolioError


@app.command()
def simulate(
    accounts: Annotated[
        int | None,
        typer.Option(
            help="Accounts that sign up over the range [default: FOLIO_SIM_ACCOUNTS, 2000]."
        ),
    ] = None,
    start: Annotated[
        str | None,
        typer.Option(help="First day, YYYY-MM-DD [default: FOLIO_SIM_MONTHS months before --end]."),
    ] = None,
    end: Annotated[
        str | None,
        typer.Option(help="Last day, YYYY-MM-DD [default: FOLIO_SIM_END or yesterday, UTC]."),
    ] = None,
    seed: Annotated[int | None, typer.Option(help="Random seed [default: FOLIO_SEED, 42].")] = None,
    traffic: Annotated[
        float | None,
        typer.Option(
            help="Multiplier on portfolio-visitor traffic [default: FOLIO_SIM_TRAFFIC, 1]."
        ),
    ] = None,
    defect_rate: Annotated[
        float | None,
        typer.Option(help="Multiplier on defect rates, 0 for clean sources [default: 1]."),
    ] = None,
    reuse: Annotated[
        bool,
        typer.Option(
            help="Keep the landing zone if it was simulated with exactly these parameters."
        ),
    ] = False,
) -> None:
    """Simulate Folio's sources: the app DB, Stripe exports and the Segment archive."""
    from folio.simulator.engine import SimParams
    from folio.simulator.engine import simulate as run_sim

    settings = load_settings()
    d_start, d_end = settings.sim_range()
    d_end = optional_day(end, "--end") or d_end
    d_start = (
        optional_day(start, "--start")
        or (settings.model_copy(update={"sim_end": d_end}).sim_range()[0])
    )
    if d_end < d_start:
        raise FolioError(f"--end {d_end} is before --start {d_start}")
    if accounts is not None and accounts < 1:
        raise FolioError("--accounts must be at least 1")
    params = SimParams(
        start=d_start,
        end=d_end,
        accounts=accounts or settings.sim_accounts,
        seed=settings.seed if seed is None else seed,
        traffic=settings.sim_traffic if traffic is None else traffic,
        defect_rate=settings.defect_rate if defect_rate is None else defect_rate,
    )
    if reuse:
        from folio.simulator.landing import simulated_params

        if simulated_params(settings.landing) == params:
            console.print(
                f"landing zone {settings.landing} already holds this simulation "
                f"({params.accounts} accounts, {d_start}..{d_end}, seed {params.seed}):"
                " reusing it"
            )
            return
    console.print(
        f"simulating {params.accounts} accounts, {d_start}..{d_end}, seed "
        f"{params.seed} -> {settings.landing}"
    )
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total} days"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=err,
        transient=True,
    ) as progress:
        task = progress.add_task("simulating", total=(d_end - d_start).days + 1)
        summary = run_sim(
            params,
            settings.landing,
            settings.app_db,
            lambda done, total: progress.update(task, completed=done),
        )
    table = Table(title=f"simulated in {fmt_seconds(summary.seconds)}", show_header=False)
    table.add_row(
        "segment messages", f"{summary.segment_messages:,} ({summary.events_per_second:,.0f}/s)"
    )
    table.add_row("stripe objects", f"{summary.stripe_objects:,}")
    for name, n in summary.app_rows.items():
        table.add_row(f"app db {name}", f"{n:,}")
    table.add_row("defects injected", ", ".join(f"{k} {v:,}" for k, v in summary.defects.items()))
    table.add_row("landing files", f"{summary.files:,} ({summary.bytes / 1e6:,.1f} MB)")
    console.print(table)
