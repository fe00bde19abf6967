"""Builders of the Stripe objects of a payment: the charge, the invoice payment that ties it
to its invoice, and a refund (shapes as in stripe_objects, the current API version)."""

from __future__ import annotations

import random
from typing import Any

from folio.simulator.stripe_objects import CURRENCY, stripe_id


def charge(
    ch_id: str,
    pi_id: str,
    cus_id: str,
    amount: int,
    created: int,
    succeeded: bool,
    description: str,
    country: str,
) -> dict[str, Any]:
    return {
        "id": ch_id,
        "object": "charge",
        "amount": amount,
        "amount_captured": amount if succeeded else 0,
        "amount_refunded": 0,
        "balance_transaction": None,
        "billing_details": {"address": {"country": country}},
        "captured": succeeded,
        "created": created,
        "currency": CURRENCY,
        "customer": cus_id,
        "description": description,
        "disputed": False,
        "failure_code": None if succeeded else "card_declined",
        "failure_message": None if succeeded else "Your card was declined.",
        "livemode": False,
        "metadata": {},
        "outcome": {
            "network_status": "approved_by_network" if succeeded else "declined_by_network",
            "reason": None if succeeded else "generic_decline",
            "risk_level": "normal",
            "seller_message": "Payment complete."
            if succeeded
            else "The bank did not return any further details.",
            "type": "authorized" if succeeded else "issuer_declined",
        },
        "paid": succeeded,
        "payment_intent": pi_id,
        "payment_method_details": {
            "card": {"brand": "visa", "country": country, "funding": "credit", "last4": "4242"},
            "type": "card",
        },
        "refunded": False,
        "status": "succeeded" if succeeded else "failed",
    }


def invoice_payment(
    rng: random.Random, inv: dict[str, Any], pi_id: str, amount: int, created: int, paid: bool
) -> dict[str, Any]:
    return {
        "id": stripe_id(rng, "inpay"),
        "object": "invoice_payment",
        "amount_paid": amount if paid else None,
        "amount_requested": amount,
        "created": created,
        "currency": CURRENCY,
        "invoice": inv["id"],
        "is_default": True,
        "livemode": False,
        "payment": {"payment_intent": pi_id, "type": "payment_intent"},
        "status": "paid" if paid else "open",
        "status_transitions": {"canceled_at": None, "paid_at": created if paid else None},
    }


def refund(re_id: str, ch: dict[str, Any], amount: int, created: int) -> dict[str, Any]:
    return {
        "id": re_id,
        "object": "refund",
        "amount": amount,
        "balance_transaction": None,
        "charge": ch["id"],
        "created": created,
        "currency": CURRENCY,
        "metadata": {},
        "payment_intent": ch["payment_intent"],
        "reason": "requested_by_customer",
        "status": "succeeded",
    }
