"""What the Stripe loader reads from each object: typed columns, child tables, known fields.

Each object type is decoded by msgspec straight into a typed ``Struct`` (C speed: the
types are checked while parsing), then mapped to columns by a small function per type.

Reads both API shapes: the current one (billing periods on subscription items, a
``discounts`` array whose discount names its coupon under ``source.coupon``, an invoice's
subscription under ``parent.subscription_details``, line prices under
``pricing.price_details``, ``payments`` on the invoice) and the older one (periods on the
subscription, one ``discount`` with an embedded ``coupon``, ``subscription``/``charge``/
``payment_intent``/``tax`` on the invoice, ``price`` on the line, ``invoice`` on the charge,
``plan`` on items). Expandable references may be an id or the expanded object.

Top-level fields outside ``KNOWN`` are new to this pipeline (schema drift): such an object
fails the strict decoder, is decoded again leniently, and its new field names are reported.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import msgspec
import pyarrow as pa
from msgspec import Raw, Struct


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
    kind: str
    required: bool = False  # present and not null (unless the object is a deletion stub)


# ---------------------------------------------------------------- nested shapes
class Ref(Struct):
    """An expanded object: only its id matters here (its other fields are ignored)."""

    id: str


Exp = str | Ref | None  # an expandable reference


def rid(v: str | Ref | None) -> str | None:
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
    product: Exp = None
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
    coupon: Exp = None


class Discount(Struct):
    id: str | None = None
    source: DiscountSource | None = None
    coupon: Exp = None  # older API versions embed the coupon object
    promotion_code: Exp = None
    start: int | None = None
    end: int | None = None


class ItemDetails(Struct):
    subscription: Exp = None
    subscription_item: Exp = None
    proration: bool | None = None


class LineParent(Struct):
    type: str | None = None
    subscription_item_details: ItemDetails | None = None


class PriceDetails(Struct):
    price: Exp = None
    product: Exp = None


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
    subscription: Exp = None
    subscription_item: Exp = None
    proration: bool | None = None
    type: str | None = None
    period: Period | None = None


class LineList(Struct):
    data: list[Line]
    has_more: bool | None = False


class PaymentRef(Struct):
    payment_intent: Exp = None
    charge: Exp = None


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
    subscription: Exp = None


class InvoiceParent(Struct):
    subscription_details: SubscriptionDetails | None = None


def _data(v: Any) -> tuple[list, bool]:
    """The entries of a Stripe list object (or of a plain list), and whether it was cut off."""
    if v is None:
        return [], False
    if isinstance(v, list):
        return v, False
    return v.data, bool(v.has_more)


def _sum(amounts: list[Amount] | None) -> int | None:
    return None if amounts is None else sum(a.amount for a in amounts)


# ---------------------------------------------------------------- fields per object
# The fields this pipeline knows per object (current and older API versions). Any other
# top-level field is new to it: kept in raw_json and reported as schema drift.
def _known(words: str) -> frozenset[str]:
    return frozenset(words.split())


KNOWN = {
    "customer": _known(
        "address balance created currency default_source deleted delinquent description "
        "discount email id invoice_prefix invoice_settings livemode metadata name "
        "next_invoice_sequence object phone preferred_locales shipping tax_exempt test_clock"
    ),
    "product": _known(
        "active created default_price deleted description id images livemode metadata name "
        "object package_dimensions shippable statement_descriptor tax_code type unit_label "
        "updated url"
    ),
    "price": _known(
        "active billing_scheme created currency custom_unit_amount deleted id livemode "
        "lookup_key metadata nickname object product recurring tax_behavior tiers_mode "
        "transform_quantity type unit_amount unit_amount_decimal"
    ),
    "coupon": _known(
        "amount_off created currency deleted duration duration_in_months id livemode "
        "max_redemptions metadata name object percent_off redeem_by times_redeemed valid"
    ),
    "subscription": _known(
        "application application_fee_percent automatic_tax billing_cycle_anchor "
        "billing_thresholds cancel_at cancel_at_period_end canceled_at cancellation_details "
        "collection_method created currency current_period_end current_period_start customer "
        "days_until_due default_payment_method default_source default_tax_rates description "
        "discount discounts ended_at id items latest_invoice livemode metadata "
        "next_pending_invoice_item_invoice object on_behalf_of pause_collection "
        "payment_settings pending_invoice_item_interval pending_setup_intent pending_update "
        "schedule start_date status test_clock transfer_data trial_end trial_start"
    ),
    "invoice": _known(
        "account_country account_name account_tax_ids amount_due amount_overpaid amount_paid "
        "amount_remaining application application_fee_amount attempt_count attempted "
        "auto_advance automatic_tax billing_reason charge collection_method created currency "
        "custom_fields customer customer_address customer_email customer_name customer_phone "
        "customer_shipping customer_tax_exempt customer_tax_ids default_payment_method "
        "default_source default_tax_rates description discount discounts due_date "
        "ending_balance footer from_invoice hosted_invoice_url id invoice_pdf "
        "last_finalization_error latest_revision lines livemode metadata next_payment_attempt "
        "number object on_behalf_of paid paid_out_of_band parent payment_intent "
        "payment_settings payments period_end period_start post_payment_credit_notes_amount "
        "pre_payment_credit_notes_amount quote receipt_number rendering_options "
        "starting_balance statement_descriptor status status_transitions subscription "
        "subtotal subtotal_excluding_tax tax test_clock total total_discount_amounts "
        "total_excluding_tax total_tax_amounts total_taxes transfer_data webhooks_delivered_at"
    ),
    "charge": _known(
        "amount amount_captured amount_refunded application application_fee "
        "application_fee_amount balance_transaction billing_details "
        "calculated_statement_descriptor captured created currency customer description "
        "disputed failure_balance_transaction failure_code failure_message fraud_details id "
        "invoice livemode metadata object on_behalf_of outcome paid payment_intent "
        "payment_method payment_method_details receipt_email receipt_number receipt_url "
        "refunded refunds review shipping source_transfer statement_descriptor "
        "statement_descriptor_suffix status transfer_data transfer_group"
    ),
    "refund": _known(
        "amount balance_transaction charge created currency id metadata object payment_intent "
        "reason receipt_number source_transfer_reversal status transfer_reversal"
    ),
}

_COMMON = {"id": str | None, "object": str | None, "livemode": bool | None}

# the fields each object type reads, with their JSON types (all optional: "required" is a
# column rule, checked after decoding, so that deletion stubs {id, object, deleted} pass)
FIELDS: dict[str, dict[str, Any]] = {
    "customer": {
        "created": int | None,
        "email": str | None,
        "name": str | None,
        "address": Address | None,
        "currency": str | None,
        "balance": int | None,
        "delinquent": bool | None,
        "metadata": Metadata | None,
        "deleted": bool | None,
    },
    "product": {
        "created": int | None,
        "updated": int | None,
        "name": str | None,
        "active": bool | None,
        "type": str | None,
        "deleted": bool | None,
    },
    "price": {
        "created": int | None,
        "product": Exp,
        "active": bool | None,
        "currency": str | None,
        "unit_amount": int | None,
        "type": str | None,
        "recurring": Recurring | None,
        "lookup_key": str | None,
        "nickname": str | None,
        "deleted": bool | None,
    },
    "coupon": {
        "created": int | None,
        "name": str | None,
        "percent_off": float | None,
        "amount_off": int | None,
        "currency": str | None,
        "duration": str | None,
        "duration_in_months": int | None,
        "valid": bool | None,
        "deleted": bool | None,
    },
    "subscription": {
        "customer": Exp,
        "status": str | None,
        "created": int | None,
        "start_date": int | None,
        "billing_cycle_anchor": int | None,
        "trial_start": int | None,
        "trial_end": int | None,
        "cancel_at": int | None,
        "cancel_at_period_end": bool | None,
        "canceled_at": int | None,
        "ended_at": int | None,
        "current_period_start": int | None,  # older API versions
        "current_period_end": int | None,
        "collection_method": str | None,
        "currency": str | None,
        "latest_invoice": Exp,
        "metadata": Metadata | None,
        "items": ItemList | list[Item] | None,
        "discounts": list[str | Discount] | None,
        "discount": Discount | None,  # older API versions
    },
    "invoice": {
        "customer": Exp,
        "parent": InvoiceParent | None,
        "subscription": Exp,  # older API versions
        "status": str | None,
        "billing_reason": str | None,
        "collection_method": str | None,
        "currency": str | None,
        "number": str | None,
        "created": int | None,
        "period_start": int | None,
        "period_end": int | None,
        "due_date": int | None,
        "amount_due": int | None,
        "amount_paid": int | None,
        "amount_remaining": int | None,
        "subtotal": int | None,
        "total": int | None,
        "total_excluding_tax": int | None,
        "total_taxes": list[Amount] | None,
        "total_tax_amounts": list[Amount] | None,  # older API versions
        "tax": int | None,  # older API versions
        "total_discount_amounts": list[Amount] | None,
        "status_transitions": Transitions | None,
        "attempt_count": int | None,
        "lines": LineList | list[Line] | None,
        "payments": PaymentList | list[Payment] | None,
        "charge": Exp,  # older API versions
        "payment_intent": Exp,  # older API versions
        "paid": bool | None,  # older API versions
    },
    "charge": {
        "customer": Exp,
        "payment_intent": Exp,
        "invoice": Exp,  # older API versions
        "amount": int | None,
        "amount_captured": int | None,
        "amount_refunded": int | None,
        "currency": str | None,
        "status": str | None,
        "paid": bool | None,
        "captured": bool | None,
        "refunded": bool | None,
        "disputed": bool | None,
        "failure_code": str | None,
        "created": int | None,
    },
    "refund": {
        "charge": Exp,
        "payment_intent": Exp,
        "amount": int | None,
        "currency": str | None,
        "status": str | None,
        "reason": str | None,
        "created": int | None,
    },
}


def _structs(obj: str) -> tuple[type, type]:
    """The strict (unknown fields rejected) and lenient Struct types of one object type."""
    fields: list[tuple] = [(k, t, None) for k, t in {**_COMMON, **FIELDS[obj]}.items()]
    declared = {f[0] for f in fields}
    # known fields the pipeline does not read: accepted unparsed
    fields += [(k, Raw, Raw(b"null")) for k in sorted(KNOWN[obj] - declared)]
    name = obj.title().replace("_", "")
    strict = msgspec.defstruct(name, fields, forbid_unknown_fields=True)
    lenient = msgspec.defstruct(name + "Lenient", fields)
    return strict, lenient


# ---------------------------------------------------------------- columns per object
def _ts(name: str, required: bool = False) -> Col:
    return Col(name, "ts", required)


def _s(name: str, required: bool = False) -> Col:
    return Col(name, "str", required)


def _i(name: str, required: bool = False) -> Col:
    return Col(name, "int", required)


def _b(name: str) -> Col:
    return Col(name, "bool")


def _customer(o) -> list:
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


def _product(o) -> list:
    return [o.created, o.updated, o.name, o.active, o.type, o.livemode]


def _price(o) -> list:
    rec = o.recurring
    return [
        o.created,
        rid(o.product),
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


def _coupon(o) -> list:
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


def _period(o, items: list[Item], key: str, pick: Callable) -> int | None:
    top = getattr(o, key)
    if top is not None:  # older API versions
        return top
    vals = [v for it in items if (v := getattr(it, key)) is not None]
    return pick(vals) if vals else None


def _subscription(o) -> list:
    items, _ = _data(o.items)
    return [
        rid(o.customer),
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
        _period(o, items, "current_period_start", min),
        _period(o, items, "current_period_end", max),
        o.collection_method,
        o.currency,
        rid(o.latest_invoice),
        o.metadata.folio_account_id if o.metadata else None,
        o.livemode,
    ]


def _subscription_items(o) -> list[list]:
    if o.items is None:
        raise Reject("contract: items: required, missing or null", o.id)
    rows = []
    for it in _data(o.items)[0]:
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
                rid(pr.product),
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
    return [sub_id, d.id, rid(coupon), rid(d.promotion_code), d.start, d.end]


def _subscription_discounts(o) -> list[list]:
    if o.discounts is not None:
        return [_discount_row(o.id, d) for d in o.discounts]
    if o.discount is not None:  # older API versions: one discount
        return [_discount_row(o.id, o.discount)]
    return []


def _invoice_subscription(o) -> str | None:
    details = o.parent.subscription_details if o.parent is not None else None
    if details is not None and details.subscription is not None:
        return rid(details.subscription)
    return rid(o.subscription)


def _invoice(o) -> list:
    if o.total_taxes is not None:
        tax = _sum(o.total_taxes)
    elif o.total_tax_amounts is not None:
        tax = _sum(o.total_tax_amounts)
    else:
        tax = o.tax
    st = o.status_transitions or Transitions()
    return [
        rid(o.customer),
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
        _sum(o.total_discount_amounts),
        st.finalized_at,
        st.paid_at,
        st.voided_at,
        st.marked_uncollectible_at,
        o.attempt_count,
        o.livemode,
    ]


def _invoice_lines(o) -> list[list]:
    rows = []
    for ln in _data(o.lines)[0]:
        parent = ln.parent
        det = parent.subscription_item_details if parent is not None else None
        pd = ln.pricing.price_details if ln.pricing is not None else None
        if pd is not None:
            price_id, product_id = rid(pd.price), rid(pd.product)
        else:  # older: the price object on the line
            pr = ln.price
            price_id = rid(pr)
            product_id = rid(pr.product) if pr is not None and type(pr) is not str else None
        period = ln.period or Period()
        rows.append(
            [
                o.id,
                ln.id,
                parent.type if parent is not None else ln.type,
                rid(det.subscription) if det is not None else rid(ln.subscription),
                rid(det.subscription_item) if det is not None else rid(ln.subscription_item),
                price_id,
                product_id,
                ln.quantity,
                ln.amount,
                _sum(ln.discount_amounts),
                _sum(ln.taxes if ln.taxes is not None else ln.tax_amounts),
                period.start,
                period.end,
                det.proration if det is not None else ln.proration,
                ln.currency,
            ]
        )
    return rows


def _invoice_payments(o) -> list[list]:
    if o.payments is not None:
        rows = []
        for pay in _data(o.payments)[0]:
            ref = pay.payment or PaymentRef()
            st = pay.status_transitions
            rows.append(
                [
                    o.id,
                    pay.id,
                    rid(ref.payment_intent),
                    rid(ref.charge),
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
    charge, intent = rid(o.charge), rid(o.payment_intent)
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


def _charge(o) -> list:
    return [
        rid(o.customer),
        rid(o.payment_intent),
        rid(o.invoice),
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


def _refund(o) -> list:
    return [
        rid(o.charge),
        rid(o.payment_intent),
        o.amount,
        o.currency,
        o.status,
        o.reason,
        o.created,
    ]


# ---------------------------------------------------------------- the specs
@dataclass(frozen=True)
class ChildTable:
    name: str
    cols: tuple[Col, ...]
    rows: Callable[[Any], list[list]]


@dataclass(frozen=True)
class ObjectSpec:
    object: str
    cols: tuple[Col, ...]
    values: Callable[[Any], list]
    deletable: bool = False
    children: tuple[ChildTable, ...] = ()

    @property
    def id_col(self) -> str:
        return f"{self.object}_id"

    @property
    def known(self) -> frozenset[str]:
        return KNOWN[self.object]


SPECS: dict[str, ObjectSpec] = {
    "customer": ObjectSpec(
        "customer",
        (
            _ts("created_at", True),
            _s("email"),
            _s("name"),
            _s("country"),
            _s("currency"),
            _i("balance"),
            _b("is_delinquent"),
            _s("folio_account_id"),
            _b("livemode"),
        ),
        _customer,
        deletable=True,
    ),
    "product": ObjectSpec(
        "product",
        (
            _ts("created_at", True),
            _ts("updated_at"),
            _s("name", True),
            _b("is_active"),
            _s("product_type"),
            _b("livemode"),
        ),
        _product,
        deletable=True,
    ),
    "price": ObjectSpec(
        "price",
        (
            _ts("created_at", True),
            _s("product_id", True),
            _b("is_active"),
            _s("currency", True),
            _i("unit_amount"),
            _s("price_type"),
            _s("recurring_interval"),
            _i("recurring_interval_count"),
            _s("lookup_key"),
            _s("nickname"),
            _b("livemode"),
        ),
        _price,
        deletable=True,
    ),
    "coupon": ObjectSpec(
        "coupon",
        (
            _ts("created_at", True),
            _s("name"),
            Col("percent_off", "float"),
            _i("amount_off"),
            _s("currency"),
            _s("duration", True),
            _i("duration_in_months"),
            _b("is_valid"),
            _b("livemode"),
        ),
        _coupon,
        deletable=True,
    ),
    "subscription": ObjectSpec(
        "subscription",
        (
            _s("customer_id", True),
            _s("status", True),
            _ts("created_at", True),
            _ts("start_at"),
            _ts("billing_cycle_anchor_at"),
            _ts("trial_start_at"),
            _ts("trial_end_at"),
            _ts("cancel_at"),
            _b("cancel_at_period_end"),
            _ts("canceled_at"),
            _ts("ended_at"),
            _ts("current_period_start_at"),
            _ts("current_period_end_at"),
            _s("collection_method"),
            _s("currency"),
            _s("latest_invoice_id"),
            _s("folio_account_id"),
            _b("livemode"),
        ),
        _subscription,
        children=(
            ChildTable(
                "subscription_item",
                (
                    _s("subscription_id", True),
                    _s("subscription_item_id", True),
                    _s("price_id", True),
                    _s("product_id"),
                    _i("quantity"),
                    _i("unit_amount"),
                    _s("currency"),
                    _s("recurring_interval"),
                    _i("recurring_interval_count"),
                    _ts("current_period_start_at"),
                    _ts("current_period_end_at"),
                    _ts("created_at"),
                ),
                _subscription_items,
            ),
            ChildTable(
                "subscription_discount",
                (
                    _s("subscription_id", True),
                    _s("discount_id"),
                    _s("coupon_id"),
                    _s("promotion_code_id"),
                    _ts("start_at"),
                    _ts("end_at"),
                ),
                _subscription_discounts,
            ),
        ),
    ),
    "invoice": ObjectSpec(
        "invoice",
        (
            _s("customer_id", True),
            _s("subscription_id"),
            _s("status"),
            _s("billing_reason"),
            _s("collection_method"),
            _s("currency", True),
            _s("number"),
            _ts("created_at", True),
            _ts("period_start_at"),
            _ts("period_end_at"),
            _ts("due_at"),
            _i("amount_due", True),
            _i("amount_paid", True),
            _i("amount_remaining"),
            _i("subtotal"),
            _i("total", True),
            _i("total_excluding_tax"),
            _i("tax_amount"),
            _i("discount_amount"),
            _ts("finalized_at"),
            _ts("paid_at"),
            _ts("voided_at"),
            _ts("marked_uncollectible_at"),
            _i("attempt_count"),
            _b("livemode"),
        ),
        _invoice,
        children=(
            ChildTable(
                "invoice_line",
                (
                    _s("invoice_id", True),
                    _s("invoice_line_id", True),
                    _s("line_type"),
                    _s("subscription_id"),
                    _s("subscription_item_id"),
                    _s("price_id"),
                    _s("product_id"),
                    _i("quantity"),
                    _i("amount", True),
                    _i("discount_amount"),
                    _i("tax_amount"),
                    _ts("period_start_at"),
                    _ts("period_end_at"),
                    _b("is_proration"),
                    _s("currency"),
                ),
                _invoice_lines,
            ),
            ChildTable(
                "invoice_payment",
                (
                    _s("invoice_id", True),
                    _s("invoice_payment_id"),
                    _s("payment_intent_id"),
                    _s("charge_id"),
                    _i("amount_paid"),
                    _i("amount_requested"),
                    _s("status"),
                    _ts("paid_at"),
                    _ts("created_at"),
                    _b("is_default"),
                ),
                _invoice_payments,
            ),
        ),
    ),
    "charge": ObjectSpec(
        "charge",
        (
            _s("customer_id"),
            _s("payment_intent_id"),
            _s("invoice_id"),  # older API versions only
            _i("amount", True),
            _i("amount_captured"),
            _i("amount_refunded"),
            _s("currency", True),
            _s("status", True),
            _b("is_paid"),
            _b("is_captured"),
            _b("is_refunded"),
            _b("is_disputed"),
            _s("failure_code"),
            _ts("created_at", True),
            _b("livemode"),
        ),
        _charge,
    ),
    "refund": ObjectSpec(
        "refund",
        (
            _s("charge_id"),
            _s("payment_intent_id"),
            _i("amount", True),
            _s("currency", True),
            _s("status"),
            _s("reason"),
            _ts("created_at", True),
        ),
        _refund,
    ),
}


# ---------------------------------------------------------------- one line -> one row
@dataclass
class Extracted:
    """One object's column values (in ``cols`` order), child rows, and fields new to us."""

    id: str
    values: list[Any]
    is_deleted: bool
    children: dict[str, list[list[Any]]]
    unknown: list[str]
    truncated: bool


class Parser:
    """Decodes the lines of one object type's export (its decoders are built once)."""

    _any = msgspec.json.Decoder()

    def __init__(self, spec: ObjectSpec) -> None:
        self.spec = spec
        strict, lenient = _structs(spec.object)
        self.strict = msgspec.json.Decoder(strict)
        self.lenient = msgspec.json.Decoder(lenient)
        self.required = [(i, c.name) for i, c in enumerate(spec.cols) if c.required]
        self.child_required = {
            ch.name: [(i, c.name) for i, c in enumerate(ch.cols) if c.required]
            for ch in spec.children
        }

    def _slow(self, raw: bytes) -> tuple[Any, list[str]]:
        """The strict decoder refused the line: find out why, or decode it leniently."""
        try:
            obj = self._any.decode(raw)
        except msgspec.DecodeError as exc:
            raise Reject(f"unparseable JSON: {exc}") from None
        if not isinstance(obj, dict):
            raise Reject("not a JSON object")
        self._identify(obj.get("object"), obj.get("id"))
        rid_ = obj["id"]
        try:
            o = self.lenient.decode(raw)
        except msgspec.ValidationError as exc:
            raise Reject(f"contract: {exc}", rid_) from None
        return o, sorted(obj.keys() - self.spec.known)

    def _identify(self, kind: Any, id_: Any) -> None:
        if kind != self.spec.object:
            raise Reject(f"object type {kind!r} in the {self.spec.object} export")
        if type(id_) is not str or not id_:
            raise Reject("missing id")

    def parse(self, raw: bytes) -> Extracted:
        """The row of one export line; raises ``Reject`` with the quarantine reason."""
        if not raw.strip():
            raise Reject("empty line")
        try:
            o, unknown = self.strict.decode(raw), []
        except msgspec.ValidationError:
            o, unknown = self._slow(raw)
        except msgspec.DecodeError as exc:
            raise Reject(f"unparseable JSON: {exc}") from None
        else:
            self._identify(o.object, o.id)
        spec = self.spec
        stub = spec.deletable and o.deleted is True  # a deletion: {id, object, deleted}
        values = spec.values(o)
        if not stub:
            for i, name in self.required:
                if values[i] is None:
                    raise Reject(f"contract: {name}: required, missing or null", o.id)
        children = {}
        truncated = False
        for child in spec.children:
            rows = child.rows(o)
            for row in rows:
                for i, name in self.child_required[child.name]:
                    if row[i] is None:
                        raise Reject(
                            f"contract: {child.name}.{name}: required, missing or null", o.id
                        )
            children[child.name] = rows
        for lst in (getattr(o, "items", None), getattr(o, "lines", None)):
            if lst is not None and not isinstance(lst, list) and lst.has_more:
                truncated = True
        if spec.object == "invoice" and o.payments is not None:
            truncated = truncated or (not isinstance(o.payments, list) and o.payments.has_more)
        return Extracted(o.id, values, stub, children, unknown, truncated)
