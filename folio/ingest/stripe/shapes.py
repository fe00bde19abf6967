"""The nested parts of Stripe objects as msgspec ``Struct`` types, decoded at C speed.

Each shape reads both API versions' fields (the older ones are marked), so one decoder
serves every export. Only the fields the columns need are declared: the others of a
nested object are ignored. An expandable reference may be an id or the expanded object.
"""

from __future__ import annotations

from msgspec import Struct


class Ref(Struct):
    """An expanded object: only its id matters here (its other fields are ignored)."""

    id: str


Expandable = str | Ref | None  # an expandable reference


def ref_id(v: str | Ref | None) -> str | None:
    return v if v is None or type(v) is str else v.id


class Amount(Struct):
    amount: int


class Period(Struct):
    start: int | None = None
    end: int | None = None


class Recurring(Struct):
    interval: str | None = None
    interval_count: int | None = None


class Price(Struct):
    """A price (current API) or a plan (older items): both name an amount and interval."""

    id: str
    product: Expandable = None
    unit_amount: int | None = None
    amount: int | None = None  # a plan's
    currency: str | None = None
    recurring: Recurring | None = None
    interval: str | None = None  # a plan's
    interval_count: int | None = None


class Address(Struct):
    country: str | None = None


class Metadata(Struct):
    folio_account_id: str | None = None


class Transitions(Struct):
    finalized_at: int | None = None
    paid_at: int | None = None
    voided_at: int | None = None
    marked_uncollectible_at: int | None = None


class Item(Struct):
    id: str
    created: int | None = None
    current_period_start: int | None = None
    current_period_end: int | None = None
    price: str | Price | None = None
    plan: str | Price | None = None
    quantity: int | None = None


class ItemList(Struct):
    data: list[Item]
    has_more: bool | None = False


class DiscountSource(Struct):
    coupon: Expandable = None


class Discount(Struct):
    id: str | None = None
    source: DiscountSource | None = None
    coupon: Expandable = None  # older API versions embed the coupon object
    promotion_code: Expandable = None
    start: int | None = None
    end: int | None = None


class ItemDetails(Struct):
    subscription: Expandable = None
    subscription_item: Expandable = None
    proration: bool | None = None


class LineParent(Struct):
    type: str | None = None
    subscription_item_details: ItemDetails | None = None


class PriceDetails(Struct):
    price: Expandable = None
    product: Expandable = None


class Pricing(Struct):
    price_details: PriceDetails | None = None


class Line(Struct):
    id: str
    amount: int | None = None
    currency: str | None = None
    quantity: int | None = None
    discount_amounts: list[Amount] | None = None
    taxes: list[Amount] | None = None
    tax_amounts: list[Amount] | None = None  # older API versions
    parent: LineParent | None = None
    pricing: Pricing | None = None
    price: str | Price | None = None  # older API versions
    subscription: Expandable = None
    subscription_item: Expandable = None
    proration: bool | None = None
    type: str | None = None
    period: Period | None = None


class LineList(Struct):
    data: list[Line]
    has_more: bool | None = False


class PaymentRef(Struct):
    payment_intent: Expandable = None
    charge: Expandable = None


class Payment(Struct):
    id: str
    amount_paid: int | None = None
    amount_requested: int | None = None
    created: int | None = None
    is_default: bool | None = None
    payment: PaymentRef | None = None
    status: str | None = None
    status_transitions: Transitions | None = None


class PaymentList(Struct):
    data: list[Payment]
    has_more: bool | None = False


class SubscriptionDetails(Struct):
    subscription: Expandable = None


class InvoiceParent(Struct):
    subscription_details: SubscriptionDetails | None = None
