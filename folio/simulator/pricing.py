"""Folio's price list, in Stripe (products, prices, coupons) and in the app DB (plans), and
the Pro price rise part-way through the range.
"""

from __future__ import annotations

from folio.simulator import stripe_objects as stripe
from folio.simulator.catalog import COUPONS, PLANS, PRO_MONTHLY_AFTER_CHANGE
from folio.simulator.clock import as_dt
from folio.simulator.state import SimState


def open_catalog(state: SimState, start_ms: int) -> None:
    """Create the products, prices and coupons on the first day, and the plans rows."""
    rng = state.rng
    created = start_ms // 1000
    for plan in PLANS:
        product = stripe.product(stripe.stripe_id(rng, "prod"), plan.name, created)
        state.products[plan.code] = product
        state.stripe_changed("product", product)
        for interval, amount in (("month", plan.monthly_cents), ("year", plan.yearly_cents)):
            price = stripe.price(
                stripe.stripe_id(rng, "price"),
                product["id"],
                amount,
                interval,
                created,
                f"{plan.code}_{interval}ly",
            )
            state.prices[(plan.code, interval)] = price
            state.stripe_changed("price", price)
    for coupon_id, percent_off, amount_off, duration, months in COUPONS:
        coupon = stripe.coupon(coupon_id, percent_off, amount_off, duration, months, created)
        state.coupons[coupon_id] = coupon
        state.stripe_changed("coupon", coupon)
    created_at = as_dt(start_ms)
    state.plan_rows.extend(
        {
            "id": plan.plan_id,
            "code": plan.code,
            "name": plan.name,
            "monthly_price_cents": plan.monthly_cents,
            "yearly_price_cents": plan.yearly_cents,
            "max_images": plan.max_images,
            "created_at": created_at,
            "updated_at": created_at,
        }
        for plan in PLANS
    )


def change_pro_price(state: SimState, ms: int) -> None:
    """Archive the Pro monthly price for a new, higher one (existing subscribers keep theirs)."""
    old = state.prices[("pro", "month")]
    old["active"] = False
    state.stripe_changed("price", old)
    new = stripe.price(
        stripe.stripe_id(state.rng, "price"),
        old["product"],
        PRO_MONTHLY_AFTER_CHANGE,
        "month",
        ms // 1000,
        "pro_monthly",
    )
    old["lookup_key"] = None
    state.prices[("pro", "month")] = new
    state.stripe_changed("price", new)
    product = state.products["pro"]
    product["updated"] = ms // 1000
    state.stripe_changed("product", product)
    row = next(row for row in state.plan_rows if row["code"] == "pro")
    row["monthly_price_cents"] = PRO_MONTHLY_AFTER_CHANGE
    row["updated_at"] = as_dt(ms)
