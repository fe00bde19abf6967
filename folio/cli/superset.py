"""`folio superset`: provision Superset and keep the dashboards-as-code bundle in step."""

from __future__ import annotations

from typing import Annotated

import typer

from folio.cli.app import app, console, load_settings
from folio.config import yesterday_utc
from folio.core.errors import FolioError
from folio.core.window import Window

superset_app = typer.Typer(
    help="Superset: provisioning and the dashboards-as-code bundle (superset/assets).",
    no_args_is_help=True,
)
app.add_typer(superset_app, name="superset")


@superset_app.command("init")
def superset_init() -> None:
    """Migrate Superset's metadata, create the admin, roles Analyst and Viewer, import the
    bundle. Running it again changes nothing."""
    import yaml

    from folio.superset import service

    settings = load_settings()
    settings.ensure_home()
    report = yaml.safe_load(service.init(settings))
    password = report.pop("admin_password", None)
    console.print(yaml.safe_dump(report, sort_keys=False).rstrip(), markup=False, highlight=False)
    where = service.home(settings) / "admin_password"
    if password:
        console.print(
            f"Superset admin created: user admin, password {password}\n"
            f"(shown once; kept in {where}, mode 600)",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )
    elif where.exists():
        console.print(
            f"admin exists; its password is in {where}",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )
    else:  # a new FOLIO_HOME on Superset metadata that was kept (Postgres)
        console.print(
            f"admin exists, but {where} is missing (this FOLIO_HOME did not create it):"
            " `folio superset reset-admin-password` sets a new one",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )


@superset_app.command("reset-admin-password")
def superset_reset_admin_password() -> None:
    """Give the Superset admin a new generated password (shown once, kept in the home):
    after a lost password file, or to rotate it."""
    import yaml

    from folio.superset import service

    settings = load_settings()
    settings.ensure_home()
    password = yaml.safe_load(service.provision(settings, "reset-admin-password"))["admin_password"]
    where = service.home(settings) / "admin_password"
    console.print(
        f"Superset admin password reset: user admin, password {password}\n"
        f"(shown once; kept in {where}, mode 600)",
        markup=False,
        highlight=False,
        soft_wrap=True,
    )


@superset_app.command("export")
def superset_export(
    out: Annotated[
        str | None, typer.Option(help="Folder to write (default: the bundle, superset/assets).")
    ] = None,
) -> None:
    """Write every dashboard, chart, dataset and database back as the bundle (after UI edits:
    `folio superset export` then `git diff superset/assets`)."""
    import shutil
    import tempfile
    from pathlib import Path

    from folio.superset import bundle, service

    settings = load_settings()
    target = Path(out) if out else bundle.BUNDLE
    with tempfile.TemporaryDirectory(prefix="superset-export-") as tmp:
        service.export(settings, Path(tmp))
        if target.exists():
            shutil.rmtree(target)
        shutil.copytree(tmp, target)
    files = sorted(p for p in target.rglob("*.yaml"))
    console.print(f"exported {len(files)} files to {target}", markup=False, highlight=False)


@superset_app.command("datasets")
def superset_datasets() -> None:
    """Regenerate the bundle's datasets (one per mart: columns, types, descriptions) from the
    dbt manifest (`dbt parse`)."""
    from folio.superset import bundle
    from folio.warehouse.transform import run_dbt

    settings = load_settings()
    settings.ensure_home()
    res = run_dbt(settings, ["parse"], Window(yesterday_utc(), yesterday_utc()))
    if not res.success:
        raise FolioError("dbt parse failed: see the log above")
    names = bundle.write_datasets(settings.paths.dbt_target / "manifest.json")
    console.print(f"{len(names)} datasets written to {bundle.BUNDLE / 'datasets'}", markup=False)
