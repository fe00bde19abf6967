"""The errors a user meets: the CLI prints them on one line, without a traceback."""

from __future__ import annotations


class FolioError(Exception):
    """An error with a message meant for the user: the CLI prints it on one line, no traceback."""


class QualityGateError(FolioError):
    """A critical quality check failed: the data is wrong, so retrying cannot help."""
