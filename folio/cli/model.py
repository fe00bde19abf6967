"""`folio model`: list, show and promote versions of the churn model."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from folio.cli.app import app, console, load_settings
from folio.core.errors import FolioError

model_app = typer.Typer(
    help="The churn model registry (FOLIO_HOME/models/churn).", no_args_is_help=True
)
app.add_typer(model_app, name="model")


@model_app.command("list")
def model_list() -> None:
    """Every registered churn model version: interval, validation metrics, current one starred."""
    from folio.ml import registry

    settings = load_settings()
    cur = registry.current(settings)
    table = Table(title="churn models (newest last; * = current)")
    for col in (
        "version",
        "trained on",
        "validated on",
        "ROC-AUC",
        "PR-AUC",
        "baseline",
        "promoted",
    ):
        table.add_column(col, no_wrap=True)
    for mv in registry.versions(settings):
        m, b = mv.meta["metrics"]["mlp"], mv.meta["metrics"]["baseline"]
        table.add_row(
            ("* " if cur and cur.version == mv.version else "  ") + mv.version,
            mv.interval,
            f"{mv.meta['validation_start']}..{mv.meta['validation_end']}",
            f"{m['roc_auc']:.3f}",
            f"{m['pr_auc']:.3f}",
            f"{b['roc_auc']:.3f} / {b['pr_auc']:.3f}",
            "yes" if mv.meta["promoted"] else "no",
        )
    console.print(table)


@model_app.command("show")
def model_show(
    version: Annotated[str, typer.Argument(help="A version; default: the current one.")] = "",
) -> None:
    """One version's record: training interval, features, metrics, code version."""
    import json as _json

    from folio.ml import registry

    settings = load_settings()
    mv = registry.load(settings, version) if version else registry.current(settings)
    if mv is None:
        raise FolioError("no current churn model yet")
    console.print_json(_json.dumps({**mv.meta, "features": mv.spec.names, "path": str(mv.path)}))


@model_app.command("promote")
def model_promote(
    version: Annotated[str, typer.Argument(help="The version to make current.")],
) -> None:
    """Make a registered version the one that scores (operators: e.g. to roll back a model)."""
    from folio.ml import registry

    mv = registry.promote(load_settings(), version)
    console.print(f"churn model {mv.version} is now current (trained on {mv.interval})")
