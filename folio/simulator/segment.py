"""Segment messages: identify, track and page calls in Segment's envelope, queued for the day
Segment receives them.

Two streams: ``app`` (analytics.js in the Folio app and marketing site) and ``sites``
(folio-sites.js on customers' portfolio sites). A message lands in the files of the day it is
received, which a late delivery can push past the day it happened.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from folio.simulator.catalog import SEGMENT_DRIFT
from folio.simulator.clock import DAY_MS, iso, segment_timestamp
from folio.simulator.defects import delivery_fault
from folio.simulator.state import Account, Device, SimState, uuid_from


def envelope(
    state: SimState,
    device: Device,
    user_id: int | None,
    ms: int,
    kind: str,
    page: dict[str, Any] | None,
    campaign: dict[str, Any] | None,
    stream: str,
    rng: random.Random,
) -> tuple[dict[str, Any], int]:
    """The fields every message has, for an event at ``ms``; returns it and its receive time."""
    app = stream == "app"
    sent = ms + (rng.randint(200, 8000) if app else rng.randint(100, 2000))
    received = sent + rng.randint(30, 400)
    original_device, sent_device = ms + device.skew_ms, sent + device.skew_ms  # device clock
    context: dict[str, Any] = {
        "ip": device.ip,
        "userAgent": device.user_agent,
        "locale": "en-US",
        "library": {"name": "analytics.js", "version": "5.2.0"}
        if app
        else {"name": "folio-sites.js", "version": "1.4.2"},
    }
    if page is not None:
        context["page"] = page
    if campaign is not None:
        context["campaign"] = campaign
    if ms >= state.segment_drift_ms:
        context[SEGMENT_DRIFT] = "UTC"
    msg = {
        "anonymousId": device.anonymous_id,
        "userId": None if user_id is None else str(user_id),
        "messageId": uuid_from(rng),
        "type": kind,
        "originalTimestamp": iso(original_device),
        "sentAt": iso(sent_device),
        "receivedAt": iso(received),
        # Segment's correction: timestamp = receivedAt - (sentAt - originalTimestamp)
        "timestamp": iso(segment_timestamp(received, sent_device, original_device)),
        "context": context,
        "integrations": {},
        "channel": "client",
        "version": 2,
    }
    return msg, received


def emit(
    state: SimState,
    msg: dict[str, Any],
    received: int,
    stream: str,
    rng: random.Random,
    bot: bool = False,
    defects: list | None = None,
) -> None:
    """Queue a message for the day it is received, applying delivery defects."""
    defects = list(defects or [])
    protect = bot or bool(defects)
    if not protect:
        msg, received, defect, duplicate = delivery_fault(state, msg, received, rng)
        if defect is not None:
            defects.append(defect)
        if duplicate is not None:
            copy, again = duplicate
            _queue(
                state,
                copy,
                again,
                stream,
                [("duplicate_message", {"message_id": msg["messageId"]})],
                True,
            )
            protect = True
    _queue(state, msg, received, stream, defects, protect, bot)


def _queue(
    state: SimState,
    msg: dict[str, Any],
    received: int,
    stream: str,
    defects: list,
    protect: bool,
    bot: bool = False,
) -> None:
    params = state.params
    day = params.start + dt.timedelta(days=(received - state.start_ms) // DAY_MS)
    if day > params.end:
        return  # not received yet when the range ends
    if day < state.today:  # that day's files are written: the message would be lost
        raise RuntimeError(f"message received on {day} queued while simulating {state.today}")
    state.seq += 1
    state.outbox.setdefault(day, []).append(
        (received, state.seq, stream, msg, defects, protect or bot, bot)
    )


def track(
    state: SimState,
    account: Account,
    ms: int,
    event: str,
    props: dict[str, Any],
    user_id: int | None = None,
    unknown: bool = False,
) -> None:
    """A track call from the Folio app; ``unknown``: an event name no tracking plan has."""
    rng = account.rng
    uid = user_id if user_id is not None else account.owner_id
    msg, received = envelope(state, account.device, uid, ms, "track", None, None, "app", rng)
    msg["event"] = event
    msg["properties"] = {"account_id": str(account.id), **props}
    defects = (
        [("unknown_event", {"message_id": msg["messageId"], "event": event})] if unknown else None
    )
    emit(state, msg, received, "app", rng, defects=defects)


def identify(state: SimState, account: Account, ms: int, traits: dict[str, Any]) -> None:
    """An identify call for the account's owner."""
    msg, received = envelope(
        state, account.device, account.owner_id, ms, "identify", None, None, "app", account.rng
    )
    msg["traits"] = traits
    emit(state, msg, received, "app", account.rng)


def page(
    state: SimState,
    device: Device,
    user_id: int | None,
    ms: int,
    name: str,
    base: str,
    path: str,
    referrer: str | None,
    campaign: dict[str, Any] | None,
    stream: str,
    rng: random.Random | None = None,
    site_id: int | None = None,
    bot: bool = False,
) -> None:
    """A page call; without ``rng`` it draws from the day's stream."""
    rng = rng or state.day_rng
    search = ""
    if campaign is not None:
        search = (
            f"?utm_source={campaign['source']}&utm_medium={campaign['medium']}"
            f"&utm_campaign={campaign['name']}"
        )
    page_context = {
        "path": path,
        "referrer": referrer or "",
        "search": search,
        "title": name,
        "url": base + path + search,
    }
    msg, received = envelope(
        state, device, user_id, ms, "page", page_context, campaign, stream, rng
    )
    msg["name"] = name
    props = dict(page_context)
    if site_id is not None:
        props["site_id"] = str(site_id)
    msg["properties"] = props
    emit(state, msg, received, stream, rng, bot=bot)
