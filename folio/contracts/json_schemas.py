"""JSON schemas of the fields Folio's pipeline reads from each Segment and Stripe type."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

import jsonschema

SEGMENT_TYPES = ("track", "page", "identify")
STRIPE_OBJECTS = (
    "customer",
    "product",
    "price",
    "coupon",
    "subscription",
    "invoice",
    "charge",
    "refund",
)


@cache
def schema(name: str) -> dict[str, Any]:
    """``segment_<type>`` or ``stripe_<object>``."""
    text = resources.files("folio.contracts").joinpath(f"schemas/{name}.json").read_text()
    return json.loads(text)


@cache
def validator(name: str) -> jsonschema.protocols.Validator:
    sch = schema(name)
    cls = jsonschema.validators.validator_for(sch)
    cls.check_schema(sch)
    return cls(sch)


def segment_errors(message: dict[str, Any]) -> list[str]:
    kind = message.get("type")
    if kind not in SEGMENT_TYPES:
        return [f"unknown message type {kind!r}"]
    return [e.message for e in validator(f"segment_{kind}").iter_errors(message)]


def stripe_errors(obj: dict[str, Any]) -> list[str]:
    kind = obj.get("object")
    if kind not in STRIPE_OBJECTS:
        return [f"unknown Stripe object {kind!r}"]
    return [e.message for e in validator(f"stripe_{kind}").iter_errors(obj)]
