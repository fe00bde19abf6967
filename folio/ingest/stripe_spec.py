"""What the Stripe loader reads from each object: typed columns, child tables, known fields.

Reads both API shapes: the current one (billing periods on subscription items, a
``discounts`` array whose discount names its coupon under ``source.coupon``, an invoice's
subscription under ``parent.subscription_details``, line prices under
``pricing.price_details``, ``payments`` on the invoice) and the older one (periods on the
subscription, one ``discount`` with an embedded ``coupon``, ``subscription``/``charge``/
``payment_intent``/``tax`` on the invoice, ``price`` on the line, ``invoice`` on the charge,
``plan`` on items). Expandable references may be an id or the expanded object.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa


class Bad(Exception):
    """One object breaks the table contract; the message is the quarantine reason."""


KINDS: dict[str, pa.DataType] = {
    "str": pa.string(),
    "int": pa.int64(),
    "bool": pa.bool_(),
    "float": pa.float64(),
    "ts": pa.timestamp("us"),  # from unix seconds; naive UTC like the app DB
}
_NAMES = {"str": "a string", "int": "an integer", "bool": "a boolean", "float": "a number"}
_NAMES["ts"] = "unix seconds (an integer)"


def type_ok(kind: str, v: Any) -> bool:
    t = type(v)
    if kind in ("int", "ts"):
        return t is int
    if kind == "str":
        return t is str
    if kind == "bool":
        return t is bool
    return t is float or t is int  # float


def kind_name(kind: str) -> str:
    return _NAMES[kind]


@dataclass(frozen=True)
class Col:
    name: str
    kind: str
    get: Callable[[dict], Any]
    required: bool = False  # present and not null (unless the object is a deletion stub)


@dataclass(frozen=True)
class ChildTable:
    name: str
    cols: tuple[Col, ...]  # getters read the row dicts that ``rows`` returns
    rows: Callable[[dict], list[dict]]


@dataclass(frozen=True)
class ObjectSpec:
    object: str
    cols: tuple[Col, ...]
    known: frozenset[str]
    deletable: bool = False
    children: tuple[ChildTable, ...] = ()
    check: Callable[[dict], None] | None = None

    @property
    def id_col(self) -> str:
        return f"{self.object}_id"


# ---------------------------------------------------------------- getters
def p(*keys: str) -> Callable[[dict], Any]:
    """A nested field, None when any level is missing or null."""
    if len(keys) == 1:
        k = keys[0]
        return lambda o: o.get(k)

    def get(o: Any) -> Any:
        for k in keys:
            if not isinstance(o, dict):
                return None
            o = o.get(k)
        return o

    return get


def ref(v: Any, where: str) -> str | None:
    """An expandable reference: an id string, or the expanded object (its ``id``)."""
    if v is None or type(v) is str:
        return v
    if isinstance(v, dict) and type(v.get("id")) is str:
        return v["id"]
    raise Bad(f"{where}: expected an id or an expanded object with an id")


def exp(*keys: str) -> Callable[[dict], Any]:
    get = p(*keys)
    where = ".".join(keys)
    return lambda o: ref(get(o), where)


def amounts(value: Any, where: str) -> int | None:
    """Sum of ``amount`` over a list of amount objects (taxes, discount amounts)."""
    if value is None:
        return None
    if not isinstance(value, list):
        raise Bad(f"{where}: expected a list")
    total = 0
    for a in value:
        amt = a.get("amount") if isinstance(a, dict) else None
        if type(amt) is not int:
            raise Bad(f"{where}: an entry without an integer amount")
        total += amt
    return total


def list_data(o: dict, key: str, required: bool = False) -> tuple[list, bool]:
    """The ``data`` of a Stripe list object (and whether it was cut off: ``has_more``)."""
    lst = o.get(key)
    if lst is None:
        if required:
            raise Bad(f"{key}: required, missing or null")
        return [], False
    if isinstance(lst, list):  # some exports flatten lists
        return lst, False
    if not isinstance(lst, dict) or not isinstance(lst.get("data"), list):
        raise Bad(f"{key}: expected a list object with data")
    return lst["data"], bool(lst.get("has_more"))


def _ts(name: str, getter: Callable, required: bool = False) -> Col:
    return Col(name, "ts", getter, required)


def _s(name: str, getter: Callable, required: bool = False) -> Col:
    return Col(name, "str", getter, required)


def _i(name: str, getter: Callable, required: bool = False) -> Col:
    return Col(name, "int", getter, required)


def _b(name: str, getter: Callable, required: bool = False) -> Col:
    return Col(name, "bool", getter, required)


def _k(name: str) -> Callable[[dict], Any]:
    return lambda r: r[name]


# ---------------------------------------------------------------- subscriptions
def _price_of(item: dict) -> dict:
    pr = item.get("price") or item.get("plan")  # legacy items carry a plan
    if isinstance(pr, str):
        return {"id": pr}
    if not isinstance(pr, dict):
        raise Bad("items.data[].price: required, missing or null")
    return pr


def _subscription_items(sub: dict) -> list[dict]:
    data, _ = list_data(sub, "items", required=True)
    rows = []
    for it in data:
        if not isinstance(it, dict) or type(it.get("id")) is not str:
            raise Bad("items.data[]: an item without an id")
        pr = _price_of(it)
        rec = pr.get("recurring") if isinstance(pr.get("recurring"), dict) else {}
        rows.append(
            {
                "subscription_id": sub.get("id"),
                "subscription_item_id": it["id"],
                "price_id": ref(pr.get("id"), "items.data[].price"),
                "product_id": ref(pr.get("product"), "items.data[].price.product"),
                "quantity": it.get("quantity"),
                "unit_amount": pr["unit_amount"] if "unit_amount" in pr else pr.get("amount"),
                "currency": pr.get("currency"),
                "recurring_interval": rec.get("interval", pr.get("interval")),
                "recurring_interval_count": rec.get("interval_count", pr.get("interval_count")),
                # current API: on the item; older: on the subscription
                "current_period_start_at": it.get(
                    "current_period_start", sub.get("current_period_start")
                ),
                "current_period_end_at": it.get(
                    "current_period_end", sub.get("current_period_end")
                ),
                "created_at": it.get("created"),
            }
        )
    return rows


def _period(sub: dict, key: str, pick: Callable) -> Any:
    if sub.get(key) is not None:  # older API versions
        return sub[key]
    data, _ = list_data(sub, "items")
    vals = [it.get(key) for it in data if isinstance(it, dict) and it.get(key) is not None]
    return pick(vals) if vals else None


def _discount_row(d: Any, sub_id: str, where: str) -> dict:
    if type(d) is str:  # not expanded: only the id is known
        return {"subscription_id": sub_id, "discount_id": d, "coupon_id": None}
    if not isinstance(d, dict):
        raise Bad(f"{where}: expected a discount id or object")
    src = d.get("source")
    coupon = src.get("coupon") if isinstance(src, dict) else d.get("coupon")  # older: embedded
    return {
        "subscription_id": sub_id,
        "discount_id": d.get("id"),
        "coupon_id": ref(coupon, f"{where}.coupon"),
        "promotion_code_id": ref(d.get("promotion_code"), f"{where}.promotion_code"),
        "start_at": d.get("start"),
        "end_at": d.get("end"),
    }


def _subscription_discounts(sub: dict) -> list[dict]:
    sub_id = sub.get("id")
    rows = []
    ds = sub.get("discounts")
    if ds is not None:
        if not isinstance(ds, list):
            raise Bad("discounts: expected a list")
        rows = [_discount_row(d, sub_id, "discounts[]") for d in ds]
    elif sub.get("discount") is not None:  # older API versions: one discount
        rows = [_discount_row(sub["discount"], sub_id, "discount")]
    for r in rows:
        for k in ("promotion_code_id", "start_at", "end_at"):
            r.setdefault(k, None)
    return rows


# ---------------------------------------------------------------- invoices
def _invoice_subscription(inv: dict) -> str | None:
    details = p("parent", "subscription_details")(inv)
    if isinstance(details, dict) and details.get("subscription") is not None:
        return ref(details["subscription"], "parent.subscription_details.subscription")
    return ref(inv.get("subscription"), "subscription")


def _invoice_tax(inv: dict) -> int | None:
    if "total_taxes" in inv:
        return amounts(inv["total_taxes"], "total_taxes")
    if "total_tax_amounts" in inv:
        return amounts(inv["total_tax_amounts"], "total_tax_amounts")
    tax = inv.get("tax")
    if tax is None or type(tax) is int:
        return tax
    raise Bad("tax: expected an integer")


def _invoice_lines(inv: dict) -> list[dict]:
    data, _ = list_data(inv, "lines")
    rows = []
    for ln in data:
        if not isinstance(ln, dict) or type(ln.get("id")) is not str:
            raise Bad("lines.data[]: a line without an id")
        parent = ln.get("parent") if isinstance(ln.get("parent"), dict) else None
        sid = parent.get("subscription_item_details") if parent else None
        sid = sid if isinstance(sid, dict) else {}
        pd = p("pricing", "price_details")(ln)
        if isinstance(pd, dict):
            price_id = ref(pd.get("price"), "lines.data[].pricing.price_details.price")
            product_id = ref(pd.get("product"), "lines.data[].pricing.price_details.product")
        else:  # older: the price object on the line
            pr = ln.get("price")
            price_id = ref(pr, "lines.data[].price")
            product_id = (
                ref(pr.get("product"), "lines.data[].price.product")
                if (isinstance(pr, dict))
                else None
            )
        taxes = ln["taxes"] if "taxes" in ln else ln.get("tax_amounts")
        period = ln.get("period") if isinstance(ln.get("period"), dict) else {}
        rows.append(
            {
                "invoice_id": inv.get("id"),
                "invoice_line_id": ln["id"],
                "line_type": parent.get("type") if parent else ln.get("type"),
                "subscription_id": ref(
                    sid.get("subscription", ln.get("subscription")), "lines.data[].subscription"
                ),
                "subscription_item_id": ref(
                    sid.get("subscription_item", ln.get("subscription_item")),
                    "lines.data[].subscription_item",
                ),
                "price_id": price_id,
                "product_id": product_id,
                "quantity": ln.get("quantity"),
                "amount": ln.get("amount"),
                "discount_amount": amounts(
                    ln.get("discount_amounts"), "lines.data[].discount_amounts"
                ),
                "tax_amount": amounts(taxes, "lines.data[].taxes"),
                "period_start_at": period.get("start"),
                "period_end_at": period.get("end"),
                "is_proration": sid.get("proration", ln.get("proration")),
                "currency": ln.get("currency"),
            }
        )
    return rows


def _invoice_payments(inv: dict) -> list[dict]:
    if "payments" in inv:
        data, _ = list_data(inv, "payments")
        rows = []
        for pay in data:
            if not isinstance(pay, dict) or type(pay.get("id")) is not str:
                raise Bad("payments.data[]: a payment without an id")
            payment = pay.get("payment") if isinstance(pay.get("payment"), dict) else {}
            rows.append(
                {
                    "invoice_id": inv.get("id"),
                    "invoice_payment_id": pay["id"],
                    "payment_intent_id": ref(
                        payment.get("payment_intent"), "payments.data[].payment.payment_intent"
                    ),
                    "charge_id": ref(payment.get("charge"), "payments.data[].payment.charge"),
                    "amount_paid": pay.get("amount_paid"),
                    "amount_requested": pay.get("amount_requested"),
                    "status": pay.get("status"),
                    "paid_at": p("status_transitions", "paid_at")(pay),
                    "created_at": pay.get("created"),
                    "is_default": pay.get("is_default"),
                }
            )
        return rows
    # older API versions: the charge and payment intent sit on the invoice itself
    charge = ref(inv.get("charge"), "charge")
    intent = ref(inv.get("payment_intent"), "payment_intent")
    if charge is None and intent is None:
        return []
    paid = inv.get("paid")
    return [
        {
            "invoice_id": inv.get("id"),
            "invoice_payment_id": None,
            "payment_intent_id": intent,
            "charge_id": charge,
            "amount_paid": inv.get("amount_paid"),
            "amount_requested": inv.get("amount_due"),
            "status": None if paid is None else ("paid" if paid else "open"),
            "paid_at": p("status_transitions", "paid_at")(inv),
            "created_at": inv.get("created"),
            "is_default": True,
        }
    ]


def _coupon_check(c: dict) -> None:
    if (c.get("percent_off") is None) == (c.get("amount_off") is None):
        raise Bad("coupon needs exactly one of percent_off and amount_off")


def _known(words: str) -> frozenset[str]:
    return frozenset(words.split())


# The fields this pipeline knows per object (current and older API versions). Any other
# top-level field is new to it: kept in raw_json and reported as schema drift.
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

SPECS: dict[str, ObjectSpec] = {
    "customer": ObjectSpec(
        "customer",
        (
            _ts("created_at", p("created"), True),
            _s("email", p("email")),
            _s("name", p("name")),
            _s("country", p("address", "country")),
            _s("currency", p("currency")),
            _i("balance", p("balance")),
            _b("is_delinquent", p("delinquent")),
            _s("folio_account_id", p("metadata", "folio_account_id")),
            _b("livemode", p("livemode")),
        ),
        KNOWN["customer"],
        deletable=True,
    ),
    "product": ObjectSpec(
        "product",
        (
            _ts("created_at", p("created"), True),
            _ts("updated_at", p("updated")),
            _s("name", p("name"), True),
            _b("is_active", p("active")),
            _s("product_type", p("type")),
            _b("livemode", p("livemode")),
        ),
        KNOWN["product"],
        deletable=True,
    ),
    "price": ObjectSpec(
        "price",
        (
            _ts("created_at", p("created"), True),
            _s("product_id", exp("product"), True),
            _b("is_active", p("active")),
            _s("currency", p("currency"), True),
            _i("unit_amount", p("unit_amount")),
            _s("price_type", p("type")),
            _s("recurring_interval", p("recurring", "interval")),
            _i("recurring_interval_count", p("recurring", "interval_count")),
            _s("lookup_key", p("lookup_key")),
            _s("nickname", p("nickname")),
            _b("livemode", p("livemode")),
        ),
        KNOWN["price"],
        deletable=True,
    ),
    "coupon": ObjectSpec(
        "coupon",
        (
            _ts("created_at", p("created"), True),
            _s("name", p("name")),
            Col("percent_off", "float", p("percent_off")),
            _i("amount_off", p("amount_off")),
            _s("currency", p("currency")),
            _s("duration", p("duration"), True),
            _i("duration_in_months", p("duration_in_months")),
            _b("is_valid", p("valid")),
            _b("livemode", p("livemode")),
        ),
        KNOWN["coupon"],
        deletable=True,
        check=_coupon_check,
    ),
    "subscription": ObjectSpec(
        "subscription",
        (
            _s("customer_id", exp("customer"), True),
            _s("status", p("status"), True),
            _ts("created_at", p("created"), True),
            _ts("start_at", p("start_date")),
            _ts("billing_cycle_anchor_at", p("billing_cycle_anchor")),
            _ts("trial_start_at", p("trial_start")),
            _ts("trial_end_at", p("trial_end")),
            _ts("cancel_at", p("cancel_at")),
            _b("cancel_at_period_end", p("cancel_at_period_end")),
            _ts("canceled_at", p("canceled_at")),
            _ts("ended_at", p("ended_at")),
            _ts("current_period_start_at", lambda o: _period(o, "current_period_start", min)),
            _ts("current_period_end_at", lambda o: _period(o, "current_period_end", max)),
            _s("collection_method", p("collection_method")),
            _s("currency", p("currency")),
            _s("latest_invoice_id", exp("latest_invoice")),
            _s("folio_account_id", p("metadata", "folio_account_id")),
            _b("livemode", p("livemode")),
        ),
        KNOWN["subscription"],
        children=(
            ChildTable(
                "subscription_item",
                (
                    _s("subscription_id", _k("subscription_id"), True),
                    _s("subscription_item_id", _k("subscription_item_id"), True),
                    _s("price_id", _k("price_id"), True),
                    _s("product_id", _k("product_id")),
                    _i("quantity", _k("quantity")),
                    _i("unit_amount", _k("unit_amount")),
                    _s("currency", _k("currency")),
                    _s("recurring_interval", _k("recurring_interval")),
                    _i("recurring_interval_count", _k("recurring_interval_count")),
                    _ts("current_period_start_at", _k("current_period_start_at")),
                    _ts("current_period_end_at", _k("current_period_end_at")),
                    _ts("created_at", _k("created_at")),
                ),
                _subscription_items,
            ),
            ChildTable(
                "subscription_discount",
                (
                    _s("subscription_id", _k("subscription_id"), True),
                    _s("discount_id", _k("discount_id")),
                    _s("coupon_id", _k("coupon_id")),
                    _s("promotion_code_id", _k("promotion_code_id")),
                    _ts("start_at", _k("start_at")),
                    _ts("end_at", _k("end_at")),
                ),
                _subscription_discounts,
            ),
        ),
    ),
    "invoice": ObjectSpec(
        "invoice",
        (
            _s("customer_id", exp("customer"), True),
            _s("subscription_id", _invoice_subscription),
            _s("status", p("status")),
            _s("billing_reason", p("billing_reason")),
            _s("collection_method", p("collection_method")),
            _s("currency", p("currency"), True),
            _s("number", p("number")),
            _ts("created_at", p("created"), True),
            _ts("period_start_at", p("period_start")),
            _ts("period_end_at", p("period_end")),
            _ts("due_at", p("due_date")),
            _i("amount_due", p("amount_due"), True),
            _i("amount_paid", p("amount_paid"), True),
            _i("amount_remaining", p("amount_remaining")),
            _i("subtotal", p("subtotal")),
            _i("total", p("total"), True),
            _i("total_excluding_tax", p("total_excluding_tax")),
            _i("tax_amount", _invoice_tax),
            _i(
                "discount_amount",
                lambda o: amounts(o.get("total_discount_amounts"), "total_discount_amounts"),
            ),
            _ts("finalized_at", p("status_transitions", "finalized_at")),
            _ts("paid_at", p("status_transitions", "paid_at")),
            _ts("voided_at", p("status_transitions", "voided_at")),
            _ts("marked_uncollectible_at", p("status_transitions", "marked_uncollectible_at")),
            _i("attempt_count", p("attempt_count")),
            _b("livemode", p("livemode")),
        ),
        KNOWN["invoice"],
        children=(
            ChildTable(
                "invoice_line",
                (
                    _s("invoice_id", _k("invoice_id"), True),
                    _s("invoice_line_id", _k("invoice_line_id"), True),
                    _s("line_type", _k("line_type")),
                    _s("subscription_id", _k("subscription_id")),
                    _s("subscription_item_id", _k("subscription_item_id")),
                    _s("price_id", _k("price_id")),
                    _s("product_id", _k("product_id")),
                    _i("quantity", _k("quantity")),
                    _i("amount", _k("amount"), True),
                    _i("discount_amount", _k("discount_amount")),
                    _i("tax_amount", _k("tax_amount")),
                    _ts("period_start_at", _k("period_start_at")),
                    _ts("period_end_at", _k("period_end_at")),
                    _b("is_proration", _k("is_proration")),
                    _s("currency", _k("currency")),
                ),
                _invoice_lines,
            ),
            ChildTable(
                "invoice_payment",
                (
                    _s("invoice_id", _k("invoice_id"), True),
                    _s("invoice_payment_id", _k("invoice_payment_id")),
                    _s("payment_intent_id", _k("payment_intent_id")),
                    _s("charge_id", _k("charge_id")),
                    _i("amount_paid", _k("amount_paid")),
                    _i("amount_requested", _k("amount_requested")),
                    _s("status", _k("status")),
                    _ts("paid_at", _k("paid_at")),
                    _ts("created_at", _k("created_at")),
                    _b("is_default", _k("is_default")),
                ),
                _invoice_payments,
            ),
        ),
    ),
    "charge": ObjectSpec(
        "charge",
        (
            _s("customer_id", exp("customer")),
            _s("payment_intent_id", exp("payment_intent")),
            _s("invoice_id", exp("invoice")),  # older API versions only
            _i("amount", p("amount"), True),
            _i("amount_captured", p("amount_captured")),
            _i("amount_refunded", p("amount_refunded")),
            _s("currency", p("currency"), True),
            _s("status", p("status"), True),
            _b("is_paid", p("paid")),
            _b("is_captured", p("captured")),
            _b("is_refunded", p("refunded")),
            _b("is_disputed", p("disputed")),
            _s("failure_code", p("failure_code")),
            _ts("created_at", p("created"), True),
            _b("livemode", p("livemode")),
        ),
        KNOWN["charge"],
    ),
    "refund": ObjectSpec(
        "refund",
        (
            _s("charge_id", exp("charge")),
            _s("payment_intent_id", exp("payment_intent")),
            _i("amount", p("amount"), True),
            _s("currency", p("currency"), True),
            _s("status", p("status")),
            _s("reason", p("reason")),
            _ts("created_at", p("created"), True),
        ),
        KNOWN["refund"],
    ),
}

LIST_FIELDS = {"subscription": ("items",), "invoice": ("lines", "payments")}


def truncated_lists(obj: dict, spec: ObjectSpec) -> list[str]:
    """List fields cut off in the export (``has_more``): their rows are incomplete."""
    out = []
    for key in LIST_FIELDS.get(spec.object, ()):
        lst = obj.get(key)
        if isinstance(lst, dict) and lst.get("has_more"):
            out.append(key)
    return out


@dataclass
class Extracted:
    row: dict[str, Any]
    children: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    unknown: list[str] = field(default_factory=list)


def _checked(cols: tuple[Col, ...], src: dict, stub: bool, where: str) -> dict[str, Any]:
    row = {}
    for c in cols:
        v = c.get(src)
        if v is None:
            if c.required and not stub:
                raise Bad(f"{where}{c.name}: required, missing or null")
        elif not type_ok(c.kind, v):
            raise Bad(f"{where}{c.name}: expected {kind_name(c.kind)}, got {type(v).__name__}")
        row[c.name] = v
    return row


def extract(obj: dict, spec: ObjectSpec) -> Extracted:
    """The typed row (and child rows) of one object; raises ``Bad`` with the reason."""
    stub = spec.deletable and obj.get("deleted") is True  # a deletion: {id, object, deleted}
    row = {spec.id_col: obj["id"], **_checked(spec.cols, obj, stub, "")}
    if spec.deletable:
        row["is_deleted"] = stub
    if spec.check and not stub:
        spec.check(obj)
    children = {}
    for child in spec.children:
        children[child.name] = [
            _checked(child.cols, r, False, f"{child.name}.") for r in child.rows(obj)
        ]
    unknown = [k for k in obj if k not in spec.known]
    return Extracted(row, children, unknown)


def arrow_schema(cols: tuple[Col, ...], lead: list[pa.Field], tail: list[pa.Field]) -> pa.Schema:
    return pa.schema([*lead, *(pa.field(c.name, KINDS[c.kind]) for c in cols), *tail])
