"""The `folio` command: simulate sources, run the nightly DAG through Airflow, show status.

Errors meant for the user (bad dates, unreachable databases, an unwritable FOLIO_HOME,
unknown options) print one line and exit non-zero, never a traceback.

Each command group is a module that registers its commands on the shared app in ``app.py``.
They are imported here, and only here, in the order ``folio --help`` lists them.
"""

from __future__ import annotations

import logging
import sys

# isort: off
from folio.cli import simulate, run, docs, quality, model, publish, superset, platform, sql  # noqa: F401  (registers the commands)

# isort: on
from folio.cli.app import invoke

__all__ = ["entry", "main"]


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    return invoke(argv)


def entry() -> None:
    sys.exit(main())
