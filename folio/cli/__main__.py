"""`python -m folio.cli`, the same as the `folio` script."""

from folio.cli import entry

entry()
