"""Builders of Stripe API objects in the shape of the current API version (2025 "basil" on).

Billing periods sit on subscription items, discounts are a ``discounts`` array whose
discount names its coupon under ``source.coupon``, an invoice's subscription sits under
``parent.subscription_details`` and a line's price under ``pricing.price_details``.
Amounts are integer minor units, times unix seconds.
"""

from __future__ import annotations

import random
from typing import Any

from folio.simulator.catalog import VAT_PERCENT

CURRENCY = "usd"
API_VERSION = "2025-09-30.clover"

_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def stripe_id(rng: random.Random, prefix: str) -> str:
    return prefix + "_" + "".join(rng.choice(_ALPHABET) for _ in range(24))


def product(prod_id: str, name: str, created: int, active: bool = True) -> dict[str, Any]:
    return {
        "id": prod_id,
        "object": "product",
        "active": active,
        "created": created,
        "default_price": None,
        "description": f"Folio {name} plan",
        "images": [],
        "livemode": False,
        "metadata": {},
        "name": f"Folio {name}",
        "tax_code": None,
        "type": "service",
        "updated": created,
        "url": None,
    }


def price(
    price_id: str,
    prod_id: str,
    unit_amount: int,
    interval: str,
    created: int,
    lookup_key: str,
    active: bool = True,
) -> dict[str, Any]:
    return {
        "id": price_id,
        "object": "price",
        "active": active,
        "billing_scheme": "per_unit",
        "created": created,
        "currency": CURRENCY,
        "livemode": False,
        "lookup_key": lookup_key,
        "metadata": {},
        "nickname": lookup_key,
        "product": prod_id,
        "recurring": {
            "interval": interval,
            "interval_count": 1,
            "meter": None,
            "trial_period_days": None,
            "usage_type": "licensed",
        },
        "tax_behavior": "exclusive",
        "tiers_mode": None,
        "transform_quantity": None,
        "type": "recurring",
        "unit_amount": unit_amount,
        "unit_amount_decimal": str(unit_amount),
    }


def coupon(
    coupon_id: str,
    percent_off: float | None,
    amount_off: int | None,
    duration: str,
    duration_in_months: int | None,
    created: int,
) -> dict[str, Any]:
    return {
        "id": coupon_id,
        "object": "coupon",
        "amount_off": amount_off,
        "created": created,
        "currency": CURRENCY if amount_off else None,
        "duration": duration,
        "duration_in_months": duration_in_months,
        "livemode": False,
        "max_redemptions": None,
        "metadata": {},
        "name": coupon_id,
        "percent_off": percent_off,
        "redeem_by": None,
        "times_redeemed": 0,
        "valid": True,
    }


def customer(
    cus_id: str, account_id: int, email: str, name: str, country: str, created: int
) -> dict[str, Any]:
    return {
        "id": cus_id,
        "object": "customer",
        "address": {
            "city": None,
            "country": country,
            "line1": None,
            "line2": None,
            "postal_code": None,
            "state": None,
        },
        "balance": 0,
        "created": created,
        "currency": CURRENCY,
        "default_source": None,
        "delinquent": False,
        "description": None,
        "email": email,
        "invoice_prefix": cus_id[4:12].upper(),
        "invoice_settings": {
            "custom_fields": None,
            "default_payment_method": None,
            "footer": None,
            "rendering_options": None,
        },
        "livemode": False,
        "metadata": {"folio_account_id": str(account_id)},
        "name": name,
        "phone": None,
        "preferred_locales": [],
        "shipping": None,
        "tax_exempt": "none",
        "test_clock": None,
    }


def discount(
    di_id: str, coupon_obj: dict[str, Any], cus_id: str, sub_id: str, start: int, end: int | None
) -> dict[str, Any]:
    """A discount names its coupon by id under ``source.coupon`` (expandable, clover on)."""
    return {
        "id": di_id,
        "object": "discount",
        "checkout_session": None,
        "customer": cus_id,
        "end": end,
        "invoice": None,
        "invoice_item": None,
        "promotion_code": None,
        "source": {"coupon": coupon_obj["id"], "type": "coupon"},
        "start": start,
        "subscription": sub_id,
        "subscription_item": None,
    }


def subscription_item(
    si_id: str,
    sub_id: str,
    price_obj: dict[str, Any],
    quantity: int,
    created: int,
    period_start: int,
    period_end: int,
) -> dict[str, Any]:
    return {
        "id": si_id,
        "object": "subscription_item",
        "created": created,
        "current_period_end": period_end,
        "current_period_start": period_start,
        "discounts": [],
        "metadata": {},
        "price": dict(price_obj),
        "quantity": quantity,
        "subscription": sub_id,
        "tax_rates": [],
    }


def subscription(
    sub_id: str,
    cus_id: str,
    account_id: int,
    item: dict[str, Any],
    created: int,
    trial_start: int | None,
    trial_end: int | None,
    status: str,
) -> dict[str, Any]:
    return {
        "id": sub_id,
        "object": "subscription",
        "application": None,
        "automatic_tax": {"disabled_reason": None, "enabled": False, "liability": None},
        "billing_cycle_anchor": trial_end or created,
        "cancel_at": None,
        "cancel_at_period_end": False,
        "canceled_at": None,
        "cancellation_details": {"comment": None, "feedback": None, "reason": None},
        "collection_method": "charge_automatically",
        "created": created,
        "currency": CURRENCY,
        "customer": cus_id,
        "days_until_due": None,
        "default_payment_method": None,
        "description": None,
        "discounts": [],
        "ended_at": None,
        "items": {
            "object": "list",
            "data": [item],
            "has_more": False,
            "total_count": 1,
            "url": f"/v1/subscription_items?subscription={sub_id}",
        },
        "latest_invoice": None,
        "livemode": False,
        "metadata": {"folio_account_id": str(account_id)},
        "pause_collection": None,
        "start_date": created,
        "status": status,
        "test_clock": None,
        "trial_end": trial_end,
        "trial_start": trial_start,
    }


def invoice_amounts(
    unit_amount: int, quantity: int, coupon_obj: dict[str, Any] | None, taxed: bool
) -> tuple[int, int, int]:
    """(subtotal, discount, tax) for one subscription line, in cents."""
    subtotal = unit_amount * quantity
    off = 0
    if coupon_obj is not None:
        if coupon_obj["percent_off"]:
            off = round(subtotal * coupon_obj["percent_off"] / 100)
        elif coupon_obj["amount_off"]:
            off = min(subtotal, coupon_obj["amount_off"])
    tax = round((subtotal - off) * VAT_PERCENT / 100) if taxed else 0
    return subtotal, off, tax


def invoice(
    rng: random.Random,
    in_id: str,
    sub: dict[str, Any],
    cus: dict[str, Any],
    created: int,
    period_start: int,
    period_end: int,
    billing_reason: str,
    discount_obj: dict[str, Any] | None,
    coupon_obj: dict[str, Any] | None,
    taxed: bool,
    number: str,
) -> dict[str, Any]:
    """An invoice as exported with ``expand[]=payments`` (the link to its charges)."""
    item = sub["items"]["data"][0]
    pr = item["price"]
    subtotal, off, tax = invoice_amounts(pr["unit_amount"], item["quantity"], coupon_obj, taxed)
    total = subtotal - off + tax
    taxes = (
        [
            {
                "amount": tax,
                "tax_behavior": "exclusive",
                "tax_rate_details": {"tax_rate": "txr_vat20"},
                "taxability_reason": "standard_rated",
                "taxable_amount": subtotal - off,
                "type": "tax_rate_details",
            }
        ]
        if tax
        else []
    )
    line = {
        "id": stripe_id(rng, "il"),
        "object": "line_item",
        "amount": subtotal,
        "currency": CURRENCY,
        "description": f"{item['quantity']} × {pr['nickname']} (at ${pr['unit_amount'] / 100:.2f}"
        f" / {pr['recurring']['interval']})",
        "discount_amounts": ([{"amount": off, "discount": discount_obj["id"]}] if off else []),
        "discountable": True,
        "discounts": ([discount_obj["id"]] if off else []),
        "invoice": in_id,
        "livemode": False,
        "metadata": {},
        "parent": {
            "invoice_item_details": None,
            "subscription_item_details": {
                "invoice_item": None,
                "proration": False,
                "proration_details": {"credited_items": None},
                "subscription": sub["id"],
                "subscription_item": item["id"],
            },
            "type": "subscription_item_details",
        },
        "period": {"end": period_end, "start": period_start},
        "pretax_credit_amounts": (
            [
                {
                    "amount": off,
                    "credit_balance_transaction": None,
                    "discount": discount_obj["id"],
                    "type": "discount",
                }
            ]
            if off
            else []
        ),
        "pricing": {
            "price_details": {"price": pr["id"], "product": pr["product"]},
            "type": "price_details",
            "unit_amount_decimal": str(pr["unit_amount"]),
        },
        "quantity": item["quantity"],
        "taxes": taxes,
    }
    return {
        "id": in_id,
        "object": "invoice",
        "account_country": "US",
        "amount_due": total,
        "amount_overpaid": 0,
        "amount_paid": 0,
        "amount_remaining": total,
        "attempt_count": 0,
        "attempted": False,
        "auto_advance": True,
        "billing_reason": billing_reason,
        "collection_method": "charge_automatically",
        "created": created,
        "currency": CURRENCY,
        "customer": cus["id"],
        "customer_email": cus["email"],
        "customer_name": cus["name"],
        "description": None,
        "discounts": ([discount_obj["id"]] if off else []),
        "due_date": None,
        "ending_balance": 0,
        "hosted_invoice_url": None,
        "lines": {
            "object": "list",
            "data": [line],
            "has_more": False,
            "total_count": 1,
            "url": f"/v1/invoices/{in_id}/lines",
        },
        "livemode": False,
        "metadata": {},
        "next_payment_attempt": None,
        "number": number,
        "parent": {
            "quote_details": None,
            "subscription_details": {"metadata": {}, "subscription": sub["id"]},
            "type": "subscription_details",
        },
        # invoice-level period: when pending items were collected (the line holds the service
        # period); for subscription invoices both are the creation time
        "period_end": created,
        "period_start": created,
        "payments": {
            "object": "list",
            "data": [],
            "has_more": False,
            "total_count": 0,
            "url": f"/v1/invoice_payments?invoice={in_id}",
        },
        "status": "open",
        "status_transitions": {
            "finalized_at": created,
            "marked_uncollectible_at": None,
            "paid_at": None,
            "voided_at": None,
        },
        "subtotal": subtotal,
        "subtotal_excluding_tax": subtotal,
        "total": total,
        "total_discount_amounts": (
            [{"amount": off, "discount": discount_obj["id"]}] if off else []
        ),
        "total_excluding_tax": subtotal - off,
        # one line per invoice: the invoice total of taxes is that line's
        "total_taxes": [dict(t) for t in taxes],
    }
