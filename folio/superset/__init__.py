"""Superset: the assets bundle (pipeline side) and provisioning (Superset side)."""
