"""`folio docs`: serve the last run's dbt docs and GX Data Docs."""

from __future__ import annotations

import contextlib
from typing import Annotated

import typer

from folio.cli.app import app, console, load_settings
from folio.core.errors import FolioError


@app.command()
def docs(
    port: Annotated[int, typer.Option(help="Port on 127.0.0.1.")] = 8580,
) -> None:
    """Serve the dbt docs and the GX Data Docs of the last run on 127.0.0.1 (Ctrl-C stops)."""
    import functools
    import http.server

    settings = load_settings()
    site = settings.paths.docs
    if not (site / "index.html").exists():
        raise FolioError(f"no docs under {site} yet: `folio run` builds them")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(site))
    with http.server.ThreadingHTTPServer(("127.0.0.1", port), handler) as server:
        console.print(f"docs of {site} on http://127.0.0.1:{port}/ (dbt: /dbt/, GX: /gx/)")
        with contextlib.suppress(KeyboardInterrupt):
            server.serve_forever()
