"""What the Stripe loader writes per object type: its columns, mapper and child tables.

``SPECS`` is the one table to edit when the marts need another column: add the ``Col``
here and its value in the object's mapper (``columns``), in the same position.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from folio.ingest.stripe.columns import (
    Col,
    boolean,
    charge_values,
    coupon_values,
    customer_values,
    integer,
    invoice_line_rows,
    invoice_payment_rows,
    invoice_values,
    price_values,
    product_values,
    refund_values,
    string,
    subscription_discount_rows,
    subscription_item_rows,
    subscription_values,
    timestamp,
)
from folio.ingest.stripe.fields import KNOWN


@dataclass(frozen=True)
class ChildTable:
    """A nested list of the object, written as its own table (one row per entry)."""

    name: str
    cols: tuple[Col, ...]
    rows: Callable[[Any], list[list]]


@dataclass(frozen=True)
class ObjectSpec:
    """One object type: its columns after the id, their mapper, its child tables."""

    object: str
    cols: tuple[Col, ...]
    values: Callable[[Any], list]
    deletable: bool = False  # deletion stubs are kept, flagged is_deleted
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
            timestamp("created_at", True),
            string("email"),
            string("name"),
            string("country"),
            string("currency"),
            integer("balance"),
            boolean("is_delinquent"),
            string("folio_account_id"),
            boolean("livemode"),
        ),
        customer_values,
        deletable=True,
    ),
    "product": ObjectSpec(
        "product",
        (
            timestamp("created_at", True),
            timestamp("updated_at"),
            string("name", True),
            boolean("is_active"),
            string("product_type"),
            boolean("livemode"),
        ),
        product_values,
        deletable=True,
    ),
    "price": ObjectSpec(
        "price",
        (
            timestamp("created_at", True),
            string("product_id", True),
            boolean("is_active"),
            string("currency", True),
            integer("unit_amount"),
            string("price_type"),
            string("recurring_interval"),
            integer("recurring_interval_count"),
            string("lookup_key"),
            string("nickname"),
            boolean("livemode"),
        ),
        price_values,
        deletable=True,
    ),
    "coupon": ObjectSpec(
        "coupon",
        (
            timestamp("created_at", True),
            string("name"),
            Col("percent_off", "float"),
            integer("amount_off"),
            string("currency"),
            string("duration", True),
            integer("duration_in_months"),
            boolean("is_valid"),
            boolean("livemode"),
        ),
        coupon_values,
        deletable=True,
    ),
    "subscription": ObjectSpec(
        "subscription",
        (
            string("customer_id", True),
            string("status", True),
            timestamp("created_at", True),
            timestamp("start_at"),
            timestamp("billing_cycle_anchor_at"),
            timestamp("trial_start_at"),
            timestamp("trial_end_at"),
            timestamp("cancel_at"),
            boolean("cancel_at_period_end"),
            timestamp("canceled_at"),
            timestamp("ended_at"),
            timestamp("current_period_start_at"),
            timestamp("current_period_end_at"),
            string("collection_method"),
            string("currency"),
            string("latest_invoice_id"),
            string("folio_account_id"),
            boolean("livemode"),
        ),
        subscription_values,
        children=(
            ChildTable(
                "subscription_item",
                (
                    string("subscription_id", True),
                    string("subscription_item_id", True),
                    string("price_id", True),
                    string("product_id"),
                    integer("quantity"),
                    integer("unit_amount"),
                    string("currency"),
                    string("recurring_interval"),
                    integer("recurring_interval_count"),
                    timestamp("current_period_start_at"),
                    timestamp("current_period_end_at"),
                    timestamp("created_at"),
                ),
                subscription_item_rows,
            ),
            ChildTable(
                "subscription_discount",
                (
                    string("subscription_id", True),
                    string("discount_id"),
                    string("coupon_id"),
                    string("promotion_code_id"),
                    timestamp("start_at"),
                    timestamp("end_at"),
                ),
                subscription_discount_rows,
            ),
        ),
    ),
    "invoice": ObjectSpec(
        "invoice",
        (
            string("customer_id", True),
            string("subscription_id"),
            string("status"),
            string("billing_reason"),
            string("collection_method"),
            string("currency", True),
            string("number"),
            timestamp("created_at", True),
            timestamp("period_start_at"),
            timestamp("period_end_at"),
            timestamp("due_at"),
            integer("amount_due", True),
            integer("amount_paid", True),
            integer("amount_remaining"),
            integer("subtotal"),
            integer("total", True),
            integer("total_excluding_tax"),
            integer("tax_amount"),
            integer("discount_amount"),
            timestamp("finalized_at"),
            timestamp("paid_at"),
            timestamp("voided_at"),
            timestamp("marked_uncollectible_at"),
            integer("attempt_count"),
            boolean("livemode"),
        ),
        invoice_values,
        children=(
            ChildTable(
                "invoice_line",
                (
                    string("invoice_id", True),
                    string("invoice_line_id", True),
                    string("line_type"),
                    string("subscription_id"),
                    string("subscription_item_id"),
                    string("price_id"),
                    string("product_id"),
                    integer("quantity"),
                    integer("amount", True),
                    integer("discount_amount"),
                    integer("tax_amount"),
                    timestamp("period_start_at"),
                    timestamp("period_end_at"),
                    boolean("is_proration"),
                    string("currency"),
                ),
                invoice_line_rows,
            ),
            ChildTable(
                "invoice_payment",
                (
                    string("invoice_id", True),
                    string("invoice_payment_id"),
                    string("payment_intent_id"),
                    string("charge_id"),
                    integer("amount_paid"),
                    integer("amount_requested"),
                    string("status"),
                    timestamp("paid_at"),
                    timestamp("created_at"),
                    boolean("is_default"),
                ),
                invoice_payment_rows,
            ),
        ),
    ),
    "charge": ObjectSpec(
        "charge",
        (
            string("customer_id"),
            string("payment_intent_id"),
            string("invoice_id"),  # older API versions only
            integer("amount", True),
            integer("amount_captured"),
            integer("amount_refunded"),
            string("currency", True),
            string("status", True),
            boolean("is_paid"),
            boolean("is_captured"),
            boolean("is_refunded"),
            boolean("is_disputed"),
            string("failure_code"),
            timestamp("created_at", True),
            boolean("livemode"),
        ),
        charge_values,
    ),
    "refund": ObjectSpec(
        "refund",
        (
            string("charge_id"),
            string("payment_intent_id"),
            integer("amount", True),
            string("currency", True),
            string("status"),
            string("reason"),
            timestamp("created_at", True),
        ),
        refund_values,
    ),
}
