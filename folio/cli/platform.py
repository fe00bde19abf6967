"""`folio up` and `folio down`: the live platform (Airflow and Superset) on 127.0.0.1."""

from __future__ import annotations

from typing import Annotated

import typer

from folio.cli.app import app, console, load_settings


@app.command()
def up(
    airflow_port: Annotated[int, typer.Option(help="Port of Airflow's api-server.")] = 8080,
    superset_port: Annotated[
        int | None, typer.Option(help="Port of Superset (default FOLIO_SUPERSET_PORT, 8088).")
    ] = None,
) -> None:
    """Start the platform live on 127.0.0.1: Airflow (api-server, scheduler, dag-processor,
    triggerer; folio_nightly unpaused, on its schedule) and Superset, in the background."""
    from folio.platform import services

    settings = load_settings()
    report = services.up(settings, airflow_port, superset_port)
    for w in report["warnings"]:
        console.print(f"warning: {w}", markup=False, highlight=False)
    for r in report["running"]:
        where = f"  {r.url}" if r.url else ""
        console.print(f"{r.name:<22} pid {r.pid:<8}{where}", markup=False, highlight=False)
    console.print(
        f"Airflow:  {report['running'][0].url}  (user admin; password in"
        f" {report['airflow_credentials']})\n"
        f"Superset: {report['running'][-1].url}  (user admin; password in"
        f" {report['superset_credentials']})\n"
        f"logs: {services.log_dir(settings)}; pid files: {services.run_dir(settings)};"
        " `folio down` stops everything.",
        markup=False,
        highlight=False,
    )


@app.command()
def down() -> None:
    """Stop what `folio up` started."""
    from folio.platform import services

    stopped = services.down(load_settings())
    console.print(
        f"stopped: {', '.join(stopped)}" if stopped else "nothing was running",
        markup=False,
        highlight=False,
    )
