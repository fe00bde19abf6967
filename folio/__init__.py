"""Folio data platform."""
