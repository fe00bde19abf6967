"""Per Stripe object type: the top-level fields known, those read, and their decoder types.

Top-level fields outside ``KNOWN`` are new to this pipeline (schema drift): such an object
fails the strict decoder, is decoded again leniently, and its new field names are reported.
"""

from __future__ import annotations

from typing import Any

import msgspec
from msgspec import Raw

from folio.ingest.stripe.shapes import (
    Address,
    Amount,
    Discount,
    Expandable,
    InvoiceParent,
    Item,
    ItemList,
    Line,
    LineList,
    Metadata,
    Payment,
    PaymentList,
    Recurring,
    Transitions,
)


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
        "product": Expandable,
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
        "customer": Expandable,
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
        "latest_invoice": Expandable,
        "metadata": Metadata | None,
        "items": ItemList | list[Item] | None,
        "discounts": list[str | Discount] | None,
        "discount": Discount | None,  # older API versions
    },
    "invoice": {
        "customer": Expandable,
        "parent": InvoiceParent | None,
        "subscription": Expandable,  # older API versions
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
        "charge": Expandable,  # older API versions
        "payment_intent": Expandable,  # older API versions
        "paid": bool | None,  # older API versions
    },
    "charge": {
        "customer": Expandable,
        "payment_intent": Expandable,
        "invoice": Expandable,  # older API versions
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
        "charge": Expandable,
        "payment_intent": Expandable,
        "amount": int | None,
        "currency": str | None,
        "status": str | None,
        "reason": str | None,
        "created": int | None,
    },
}


def object_structs(obj: str) -> tuple[type, type]:
    """The strict (unknown fields rejected) and lenient Struct types of one object type."""
    fields: list[tuple] = [(k, t, None) for k, t in {**_COMMON, **FIELDS[obj]}.items()]
    declared = {f[0] for f in fields}
    # known fields the pipeline does not read: accepted unparsed
    fields += [(k, Raw, Raw(b"null")) for k in sorted(KNOWN[obj] - declared)]
    name = obj.title().replace("_", "")
    strict = msgspec.defstruct(name, fields, forbid_unknown_fields=True)
    lenient = msgspec.defstruct(name + "Lenient", fields)
    return strict, lenient
