"""Defect injection: the faults real sources have, each one recorded in the manifest.

Device clocks that run wrong, Segment deliveries that come late, out of order or twice,
lines damaged at write time (malformed JSON, a dropped required field, a Stripe object
without id), and the run-level records: the schema drift days, skewed devices and bots.
Rates are the catalog's ``DEFECT_RATES`` times ``SimParams.defect_rate``.
"""

from __future__ import annotations

import random
from typing import Any

import msgspec

from folio.simulator.catalog import SEGMENT_DRIFT, STRIPE_DRIFT
from folio.simulator.clock import DAY_MS, HOUR_MS, MIN_MS, iso, iso_ms, segment_timestamp
from folio.simulator.landing import truncate_json
from folio.simulator.state import Device, SimState

# a damaged line for PartWriter: (defect, manifest fields, the bytes written instead)
Damage = tuple[str, dict[str, Any], bytes]


def skew_clock(state: SimState, device: Device, rng: random.Random) -> None:
    """Maybe make ``device``'s clock minutes, hours or days off."""
    if rng.random() < state.rate["clock_skew_device"]:
        magnitude = rng.choice(
            (
                rng.randint(2, 59) * MIN_MS,
                rng.randint(1, 23) * 60 * MIN_MS,
                rng.randint(1, 3) * DAY_MS,
            )
        )
        device.skew_ms = magnitude if rng.random() < 0.5 else -magnitude
        state.skewed_devices.append(device)


def delivery_fault(
    state: SimState, msg: dict[str, Any], received: int, rng: random.Random
) -> tuple[
    dict[str, Any], int, tuple[str, dict[str, Any]] | None, tuple[dict[str, Any], int] | None
]:
    """How the delivery of ``msg`` goes wrong, if it does.

    Returns ``(msg, received, defect, duplicate)``: a late or out-of-order delivery moves the
    message's sentAt and receivedAt and names its defect; a retried batch returns a second
    copy ``(message, received)`` to queue besides the original.
    """
    u = rng.random()
    late, out_of_order, duplicate = (
        state.rate["late_event"],
        state.rate["out_of_order"],
        state.rate["duplicate_message"],
    )
    if u < late:
        days = rng.randint(1, 3)
        shift = days * DAY_MS + rng.randint(0, 6 * HOUR_MS)
        msg, received = _redeliver(msg, received + shift, shift)
        return (
            msg,
            received,
            ("late_event", {"message_id": msg["messageId"], "delay_days": days}),
            None,
        )
    if u < late + out_of_order:
        shift = rng.randint(2, 30) * MIN_MS
        msg, received = _redeliver(msg, received + shift, shift)
        return msg, received, ("out_of_order", {"message_id": msg["messageId"]}), None
    if u < late + out_of_order + duplicate:
        again = received + rng.randint(1, 2880) * MIN_MS
        copy = dict(msg)
        copy["receivedAt"] = iso(again)
        # a retried batch keeps sentAt; Segment recomputes timestamp from receivedAt
        copy["timestamp"] = iso(
            segment_timestamp(again, iso_ms(msg["sentAt"]), iso_ms(msg["originalTimestamp"]))
        )
        return msg, received, None, (copy, again)
    return msg, received, None, None


def _redeliver(msg: dict[str, Any], received: int, shift: int) -> tuple[dict[str, Any], int]:
    """The device sent the message later (offline, retry): sentAt and receivedAt move."""
    sent = iso_ms(msg["sentAt"]) + shift
    msg["sentAt"] = iso(sent)
    msg["receivedAt"] = iso(received)
    msg["timestamp"] = iso(segment_timestamp(received, sent, iso_ms(msg["originalTimestamp"])))
    return msg, received


def damage_segment_line(state: SimState, msg: dict[str, Any]) -> Damage | None:
    """Maybe write a Segment message as broken JSON or without a required field."""
    rng = state.write_rng
    u = rng.random()
    if u < state.rate["malformed_json"]:
        return "malformed_json", {"source": "segment"}, truncate_json(rng, msg)
    if u < state.rate["malformed_json"] + state.rate["missing_required"]:
        options = ["messageId", "type", "timestamp", "receivedAt", "ids"]
        if msg.get("type") == "track":
            options.append("event")
        dropped = rng.choice(options)
        bad = dict(msg)
        if dropped == "ids":
            bad.pop("anonymousId")
            bad.pop("userId")
            dropped = "anonymousId|userId"
        else:
            bad.pop(dropped)
        return (
            "missing_required",
            {"source": "segment", "field": dropped, "message_id": msg["messageId"]},
            msgspec.json.encode(bad),
        )
    return None


def damage_stripe_line(state: SimState, obj: dict[str, Any]) -> Damage | None:
    """Maybe write a Stripe object as broken JSON or without its id."""
    rng = state.write_rng
    u = rng.random()
    if u < state.rate["malformed_json"]:
        return (
            "malformed_json",
            {"source": "stripe", "object": obj["object"]},
            truncate_json(rng, obj),
        )
    if u < state.rate["malformed_json"] + state.rate["missing_id"]:
        bad = {k: v for k, v in obj.items() if k != "id"}
        return (
            "missing_id",
            {"source": "stripe", "object": obj["object"], "stripe_id": obj["id"]},
            msgspec.json.encode(bad),
        )
    return None


def record_schema_drift(state: SimState) -> None:
    """The days a new field first appears in each source."""
    state.manifest.add(
        "schema_drift",
        source="stripe",
        object=STRIPE_DRIFT[0],
        field=STRIPE_DRIFT[1],
        first_date=state.stripe_drift_day.isoformat(),
    )
    state.manifest.add(
        "schema_drift",
        source="segment",
        object="message",
        field=f"context.{SEGMENT_DRIFT}",
        first_date=state.segment_drift_day.isoformat(),
    )


def record_clients(state: SimState) -> None:
    """The devices with a wrong clock and the bots, known once the run is over."""
    for device in state.skewed_devices:
        state.manifest.add(
            "clock_skew_device", anonymous_id=device.anonymous_id, skew_ms=device.skew_ms
        )
    for anonymous_id, bot in state.bots.items():
        state.manifest.add("bot_traffic", anonymous_id=anonymous_id, **bot)
