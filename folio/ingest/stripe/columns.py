"""The columns of each Stripe object: their types, and one mapper per object or child table.

A mapper turns one decoded object into its column values in ``Col`` order (a child table's
mapper: into rows). Mappers also enforce the contract rules no type can express, raising
``Reject``.

They read both API shapes: the current one (billing periods on subscription items, a
``discounts`` array whose discount names its coupon under ``source.coupon``, an invoice's
subscription under ``parent.subscription_details``, line prices under
``pricing.price_details``, ``payments`` on the invoice) and the older one (periods on the
subscription, one ``discount`` with an embedded ``coupon``, ``subscription``/``charge``/
``payment_intent``/``tax`` on the invoice, ``price`` on the line, ``invoice`` on the charge,
``plan`` on items).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from folio.ingest.stripe.shapes import (
    Amount,
    Discount,
    Item,
    PaymentRef,
    Period,
    Price,
    Transitions,
    ref_id,
)


class Reject(Exception):
    """A line that cannot be loaded: ``reason`` goes to quarantine, with the id if known."""

    def __init__(self, reason: str, record_id: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.record_id = record_id


KINDS: dict[str, pa.DataType] = {
    "str": pa.string(),
    "int": pa.int64(),
    "bool": pa.bool_(),
    "float": pa.float64(),
    "ts": pa.timestamp("us"),  # from unix seconds; naive UTC like the app DB
}


@dataclass(frozen=True)
class Col:
    name: str
    kind: str  # a key of KINDS
    required: bool = False  # present and not null (unless the object is a deletion stub)


def timestamp(name: str, required: bool = False) -> Col:
    return Col(name, "ts", required)


def string(name: str, required: bool = False) -> Col:
    return Col(name, "str", required)


def integer(name: str, required: bool = False) -> Col:
    return Col(name, "int", required)


def boolean(name: str) -> Col:
    return Col(name, "bool")


def _entries(v: Any) -> list:
    """The entries of a Stripe list object (or of a plain list)."""
    if v is None:
        return []
    if isinstance(v, list):
        return v
    return v.data


def _sum_amounts(amounts: list[Amount] | None) -> int | None:
    return None if amounts is None else sum(a.amount for a in amounts)


def customer_values(o) -> list:
    return [
        o.created,
        o.email,
        o.name,
        o.address.country if o.address else None,
        o.currency,
        o.balance,
        o.delinquent,
        o.metadata.folio_account_id if o.metadata else None,
        o.livemode,
    ]


def product_values(o) -> list:
    return [o.created, o.updated, o.name, o.active, o.type, o.livemode]


def price_values(o) -> list:
    rec = o.recurring
    return [
        o.created,
        ref_id(o.product),
        o.active,
        o.currency,
        o.unit_amount,
        o.type,
        rec.interval if rec else None,
        rec.interval_count if rec else None,
        o.lookup_key,
        o.nickname,
        o.livemode,
    ]


def coupon_values(o) -> list:
    if not o.deleted and (o.percent_off is None) == (o.amount_off is None):
        raise Reject("contract: coupon needs exactly one of percent_off and amount_off", o.id)
    return [
        o.created,
        o.name,
        o.percent_off,
        o.amount_off,
        o.currency,
        o.duration,
        o.duration_in_months,
        o.valid,
        o.livemode,
    ]


def _current_period(o, items: list[Item], key: str, pick: Callable) -> int | None:
    top = getattr(o, key)
    if top is not None:  # older API versions
        return top
    vals = [v for it in items if (v := getattr(it, key)) is not None]
    return pick(vals) if vals else None


def subscription_values(o) -> list:
    items = _entries(o.items)
    return [
        ref_id(o.customer),
        o.status,
        o.created,
        o.start_date,
        o.billing_cycle_anchor,
        o.trial_start,
        o.trial_end,
        o.cancel_at,
        o.cancel_at_period_end,
        o.canceled_at,
        o.ended_at,
        _current_period(o, items, "current_period_start", min),
        _current_period(o, items, "current_period_end", max),
        o.collection_method,
        o.currency,
        ref_id(o.latest_invoice),
        o.metadata.folio_account_id if o.metadata else None,
        o.livemode,
    ]


def subscription_item_rows(o) -> list[list]:
    if o.items is None:
        raise Reject("contract: items: required, missing or null", o.id)
    rows = []
    for it in _entries(o.items):
        pr = it.price if it.price is not None else it.plan  # older items carry a plan
        if pr is None:
            raise Reject(f"contract: items: {it.id} has no price", o.id)
        if type(pr) is str:
            pr = Price(id=pr)
        rec = pr.recurring
        rows.append(
            [
                o.id,
                it.id,
                pr.id,
                ref_id(pr.product),
                it.quantity,
                pr.unit_amount if pr.unit_amount is not None else pr.amount,
                pr.currency,
                rec.interval if rec else pr.interval,
                rec.interval_count if rec else pr.interval_count,
                # current API: on the item; older: on the subscription
                it.current_period_start
                if it.current_period_start is not None
                else o.current_period_start,
                it.current_period_end
                if it.current_period_end is not None
                else o.current_period_end,
                it.created,
            ]
        )
    return rows


def _discount_row(sub_id: str, d: str | Discount) -> list:
    if type(d) is str:  # not expanded: only the id is known
        return [sub_id, d, None, None, None, None]
    coupon = d.source.coupon if d.source is not None else d.coupon
    return [sub_id, d.id, ref_id(coupon), ref_id(d.promotion_code), d.start, d.end]


def subscription_discount_rows(o) -> list[list]:
    if o.discounts is not None:
        return [_discount_row(o.id, d) for d in o.discounts]
    if o.discount is not None:  # older API versions: one discount
        return [_discount_row(o.id, o.discount)]
    return []


def _invoice_subscription(o) -> str | None:
    details = o.parent.subscription_details if o.parent is not None else None
    if details is not None and details.subscription is not None:
        return ref_id(details.subscription)
    return ref_id(o.subscription)


def invoice_values(o) -> list:
    if o.total_taxes is not None:
        tax = _sum_amounts(o.total_taxes)
    elif o.total_tax_amounts is not None:
        tax = _sum_amounts(o.total_tax_amounts)
    else:
        tax = o.tax
    st = o.status_transitions or Transitions()
    return [
        ref_id(o.customer),
        _invoice_subscription(o),
        o.status,
        o.billing_reason,
        o.collection_method,
        o.currency,
        o.number,
        o.created,
        o.period_start,
        o.period_end,
        o.due_date,
        o.amount_due,
        o.amount_paid,
        o.amount_remaining,
        o.subtotal,
        o.total,
        o.total_excluding_tax,
        tax,
        _sum_amounts(o.total_discount_amounts),
        st.finalized_at,
        st.paid_at,
        st.voided_at,
        st.marked_uncollectible_at,
        o.attempt_count,
        o.livemode,
    ]


def invoice_line_rows(o) -> list[list]:
    rows = []
    for ln in _entries(o.lines):
        parent = ln.parent
        det = parent.subscription_item_details if parent is not None else None
        pd = ln.pricing.price_details if ln.pricing is not None else None
        if pd is not None:
            price_id, product_id = ref_id(pd.price), ref_id(pd.product)
        else:  # older: the price object on the line
            pr = ln.price
            price_id = ref_id(pr)
            product_id = ref_id(pr.product) if pr is not None and type(pr) is not str else None
        period = ln.period or Period()
        rows.append(
            [
                o.id,
                ln.id,
                parent.type if parent is not None else ln.type,
                ref_id(det.subscription) if det is not None else ref_id(ln.subscription),
                ref_id(det.subscription_item) if det is not None else ref_id(ln.subscription_item),
                price_id,
                product_id,
                ln.quantity,
                ln.amount,
                _sum_amounts(ln.discount_amounts),
                _sum_amounts(ln.taxes if ln.taxes is not None else ln.tax_amounts),
                period.start,
                period.end,
                det.proration if det is not None else ln.proration,
                ln.currency,
            ]
        )
    return rows


def invoice_payment_rows(o) -> list[list]:
    if o.payments is not None:
        rows = []
        for pay in _entries(o.payments):
            ref = pay.payment or PaymentRef()
            st = pay.status_transitions
            rows.append(
                [
                    o.id,
                    pay.id,
                    ref_id(ref.payment_intent),
                    ref_id(ref.charge),
                    pay.amount_paid,
                    pay.amount_requested,
                    pay.status,
                    st.paid_at if st is not None else None,
                    pay.created,
                    pay.is_default,
                ]
            )
        return rows
    # older API versions: the charge and payment intent sit on the invoice itself
    charge, intent = ref_id(o.charge), ref_id(o.payment_intent)
    if charge is None and intent is None:
        return []
    st = o.status_transitions
    status = None if o.paid is None else ("paid" if o.paid else "open")
    return [
        [
            o.id,
            None,
            intent,
            charge,
            o.amount_paid,
            o.amount_due,
            status,
            st.paid_at if st is not None else None,
            o.created,
            True,
        ]
    ]


def charge_values(o) -> list:
    return [
        ref_id(o.customer),
        ref_id(o.payment_intent),
        ref_id(o.invoice),
        o.amount,
        o.amount_captured,
        o.amount_refunded,
        o.currency,
        o.status,
        o.paid,
        o.captured,
        o.refunded,
        o.disputed,
        o.failure_code,
        o.created,
        o.livemode,
    ]


def refund_values(o) -> list:
    return [
        ref_id(o.charge),
        ref_id(o.payment_intent),
        o.amount,
        o.currency,
        o.status,
        o.reason,
        o.created,
    ]
