"""Stripe billing of each account: customer, subscription, invoices, charges and refunds.

A subscription starts as a 14-day trial; the account's billing events (trial end, renewal,
payment retry, cancellation, plan change, discount end, reactivation) are replayed in time
order up to the end of each simulated day. Every Stripe object that changes is staged on the
state for that day's export; the account's row in the app DB follows its plan and status.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Callable

from folio.simulator import stripe_objects as stripe
from folio.simulator import stripe_payments
from folio.simulator.catalog import CHANNELS, STRIPE_DRIFT, VAT_COUNTRIES
from folio.simulator.clock import DAY_MS, as_dt
from folio.simulator.segment import track
from folio.simulator.state import Account, SimState

TRIAL_DAYS = 14


def sync_account_row(state: SimState, account: Account, ms: int) -> None:
    """Carry the account's plan, interval and status over to its app-DB row."""
    row = state.rows["accounts"].get(account.id)
    if row is None:
        return
    row.update(
        plan_code=account.plan,
        billing_interval=account.interval,
        status=account.status if account.status != "prospect" else "trialing",
        updated_at=as_dt(ms),
    )


def create_customer(state: SimState, account: Account, email: str, name: str, ms: int) -> None:
    """The Stripe customer of a new account."""
    account.customer = stripe.customer(
        stripe.stripe_id(account.rng, "cus"), account.id, email, name, account.country, ms // 1000
    )
    state.stripe_changed("customer", account.customer)


def start_subscription(state: SimState, account: Account, ms: int, trial: bool) -> None:
    """A trial on signup, or a paid subscription (invoiced at once) on reactivation."""
    rng = account.rng
    interval = "month" if trial else (account.interval or "month")
    price = state.prices[(account.plan, interval)]
    sub_id = stripe.stripe_id(rng, "sub")
    created = ms // 1000
    if trial:
        account.trial_end_ms = ms + TRIAL_DAYS * DAY_MS
        period = (created, account.trial_end_ms // 1000)
    else:
        account.period_end_ms = add_period(ms, interval)
        period = (created, account.period_end_ms // 1000)
    item = stripe.subscription_item(stripe.stripe_id(rng, "si"), sub_id, price, 1, created, *period)
    account.subscription = sub = stripe.subscription(
        sub_id,
        account.customer["id"],
        account.id,
        item,
        created,
        created if trial else None,
        period[1] if trial else None,
        "trialing" if trial else "active",
    )
    if as_dt(ms).date() >= state.stripe_drift_day:
        sub[STRIPE_DRIFT[1]] = {"type": "classic"}
    account.status = sub["status"]
    state.stripe_changed("subscription", sub)
    if not trial:
        _invoice(state, account, ms, "subscription_create", *period)


def add_period(ms: int, interval: str) -> int:
    """One billing interval after ``ms``, on the same day of the month where it exists."""
    start = as_dt(ms)
    if interval == "year":
        year, month = start.year + 1, start.month
    else:
        year, month = (start.year + (start.month // 12), start.month % 12 + 1)
    day = min(start.day, calendar.monthrange(year, month)[1])
    return int(
        calendar.timegm(start.replace(year=year, month=month, day=day).timetuple()) * 1000
        + start.microsecond // 1000
    )


def _set_period(account: Account, start_ms: int) -> tuple[int, int]:
    account.period_end_ms = add_period(start_ms, account.interval or "month")
    item = account.subscription["items"]["data"][0]
    item["current_period_start"] = start_ms // 1000
    item["current_period_end"] = account.period_end_ms // 1000
    return start_ms // 1000, account.period_end_ms // 1000


def _invoice(
    state: SimState, account: Account, ms: int, reason: str, p_start: int, p_end: int
) -> None:
    rng = account.rng
    state.last_id["invoice"] += 1
    discount = account.discount
    coupon = state.coupons[discount["source"]["coupon"]] if discount else None
    invoice = stripe.invoice(
        rng,
        stripe.stripe_id(rng, "in"),
        account.subscription,
        account.customer,
        ms // 1000,
        p_start,
        p_end,
        reason,
        discount,
        coupon,
        account.country in VAT_COUNTRIES,
        f"{account.customer['invoice_prefix']}-{state.last_id['invoice']:06d}",
    )
    account.subscription["latest_invoice"] = invoice["id"]
    if coupon is not None and coupon["duration"] == "once":
        account.discount_end_ms = ms + 1000
    state.stripe_changed("invoice", invoice)
    if invoice["amount_due"] == 0:
        invoice["status"] = "paid"
        invoice["status_transitions"]["paid_at"] = ms // 1000
        return
    account.open_invoice = invoice
    account.retry_n = 0
    _attempt_payment(state, account, ms)


def _attempt_payment(state: SimState, account: Account, ms: int) -> None:
    """Charge the open invoice: paid, retried later (past due), or given up after 4 tries."""
    rng = account.rng
    invoice = account.open_invoice
    sub = account.subscription
    account.retry_n += 1
    ok = rng.random() > (0.06 if account.retry_n == 1 else 0.5)
    charge = stripe_payments.charge(
        stripe.stripe_id(rng, "ch"),
        stripe.stripe_id(rng, "pi"),
        account.customer["id"],
        invoice["amount_due"],
        ms // 1000,
        ok,
        "Subscription creation"
        if invoice["billing_reason"] == "subscription_create"
        else "Subscription update",
        account.country,
    )
    state.stripe_changed("charge", charge)
    payments = invoice["payments"]
    payments["data"].append(
        stripe_payments.invoice_payment(
            rng, invoice, charge["payment_intent"], invoice["amount_due"], ms // 1000, ok
        )
    )
    payments["total_count"] = len(payments["data"])
    invoice["attempt_count"] = account.retry_n
    invoice["attempted"] = True
    if ok:
        invoice.update(
            status="paid",
            amount_paid=invoice["amount_due"],
            amount_remaining=0,
            next_payment_attempt=None,
        )
        invoice["status_transitions"]["paid_at"] = ms // 1000
        account.open_invoice, account.retry_ms = None, None
        if sub["status"] == "past_due":
            sub["status"] = account.status = "active"
            state.stripe_changed("subscription", sub)
        if rng.random() < 0.02:  # a refund a few days later
            refund_ms = ms + rng.randint(1, 20) * DAY_MS
            state.pending_refunds.setdefault(as_dt(refund_ms).date(), []).append(
                (charge, refund_ms)
            )
    elif account.retry_n >= 4:
        invoice.update(status="uncollectible", next_payment_attempt=None)
        invoice["status_transitions"]["marked_uncollectible_at"] = ms // 1000
        account.open_invoice, account.retry_ms = None, None
        sub["cancellation_details"]["reason"] = "payment_failed"
        _end_subscription(state, account, ms)
    else:
        account.retry_ms = ms + (3 if account.retry_n == 1 else 2) * DAY_MS
        invoice["next_payment_attempt"] = account.retry_ms // 1000
        if sub["status"] != "past_due":
            sub["status"] = account.status = "past_due"
            state.stripe_changed("subscription", sub)
    state.stripe_changed("invoice", invoice)


def issue_refunds(state: SimState, day: dt.date) -> None:
    """The refunds due on ``day``: in full or in half, decided by the charge id."""
    for charge, ms in state.pending_refunds.pop(day, []):
        amount = charge["amount"] if charge["id"][-1] < "m" else charge["amount"] // 2
        refund = stripe_payments.refund(
            stripe.stripe_id(state.rng, "re"), charge, amount, ms // 1000
        )
        charge["amount_refunded"] += amount
        charge["refunded"] = charge["amount_refunded"] >= charge["amount"]
        state.stripe_changed("refund", refund)
        state.stripe_changed("charge", charge)


def _end_subscription(state: SimState, account: Account, ms: int) -> None:
    """Cancel now; the customer may come back later, or delete the account."""
    sub = account.subscription
    sub["status"] = "canceled"
    sub["ended_at"] = ms // 1000
    sub["canceled_at"] = sub["canceled_at"] or ms // 1000
    state.stripe_changed("subscription", sub)
    account.status = "canceled"
    account.ended_ms = ms
    account.churn_ms = account.plan_change_ms = account.retry_ms = None
    account.discount = None
    account.discount_end_ms = None
    rng = account.rng
    if rng.random() < 0.12 * CHANNELS[account.channel][2]:
        account.reactivate_ms = ms + rng.randint(30, 150) * DAY_MS + rng.randrange(DAY_MS)
    elif rng.random() < 0.35:
        account.delete_ms = ms + rng.randint(30, 90) * DAY_MS
    sync_account_row(state, account, ms)


def _schedule_churn(account: Account, from_ms: int) -> None:
    """When (if ever) the customer decides to cancel; engagement fades before it."""
    rng = account.rng
    keep = (
        CHANNELS[account.channel][2]
        * (0.45 + account.quality)
        * (1.3 if account.published else 0.8)
    )
    if account.interval == "year":
        account.churn_ms = (
            account.period_end_ms - rng.randint(3, 45) * DAY_MS
            if rng.random() < min(0.9, 0.3 / keep)
            else None
        )
    else:
        hazard = min(0.5, 0.06 / keep)
        months = 0
        while rng.random() > hazard and months < 60:
            months += 1
        account.churn_ms = from_ms + months * 30 * DAY_MS + rng.randrange(28 * DAY_MS) + DAY_MS


def advance(state: SimState, account: Account, day_end: int) -> None:
    """Replay the account's billing events due before ``day_end``, earliest first."""
    while True:
        due: list[tuple[int, str]] = []
        sub = account.subscription
        if sub is not None and account.status != "canceled":
            if account.status == "trialing":
                due.append((account.trial_end_ms, "trial_end"))
            else:
                due.append((account.period_end_ms, "renew"))
                if account.retry_ms:
                    due.append((account.retry_ms, "retry"))
                if account.churn_ms and not sub["cancel_at_period_end"]:
                    due.append((account.churn_ms, "cancel"))
                if account.plan_change_ms:
                    due.append((account.plan_change_ms, "plan_change"))
                if account.discount_end_ms:
                    due.append((account.discount_end_ms, "discount_end"))
        elif account.reactivate_ms:
            due.append((account.reactivate_ms, "reactivate"))
        due = [d for d in due if d[0] < day_end]
        if not due:
            return
        ms, event = min(due)  # equal times: in the order of the event names
        _HANDLERS[event](state, account, ms)


def _on_trial_end(state: SimState, account: Account, ms: int) -> None:
    rng = account.rng
    sub = account.subscription
    chance = (
        0.06
        + (0.5 if account.published else 0.0)
        + 0.25 * account.quality
        + (0.1 if account.images_uploaded >= 10 else 0.0)
    ) * CHANNELS[account.channel][2]
    converted = rng.random() < min(0.92, chance)
    track(state, account, ms, "Trial Ended", {"converted": converted, "plan": account.plan})
    if not converted:
        sub["canceled_at"] = ms // 1000
        sub["cancellation_details"]["reason"] = "cancellation_requested"
        _end_subscription(state, account, ms)
        return
    yearly = rng.random() < (0.4 if account.plan == "studio" else 0.22)
    account.interval = "year" if yearly else "month"
    item = sub["items"]["data"][0]
    item["price"] = dict(state.prices[(account.plan, account.interval)])
    sub["status"] = account.status = "active"
    if rng.random() < 0.18:
        coupon_id = rng.choices(list(state.coupons), weights=(0.5, 0.3, 0.2))[0]
        coupon = state.coupons[coupon_id]
        coupon["times_redeemed"] += 1
        state.stripe_changed("coupon", coupon)
        end = None
        if coupon["duration"] == "repeating":
            end = ms + coupon["duration_in_months"] * 30 * DAY_MS
            account.discount_end_ms = end
        account.discount = stripe.discount(
            stripe.stripe_id(rng, "di"),
            coupon,
            account.customer["id"],
            sub["id"],
            ms // 1000,
            end // 1000 if end else None,
        )
        # exported with expand[]=discounts: the discount object, not only its id
        sub["discounts"] = [account.discount]
    state.stripe_changed("subscription", sub)
    _invoice(state, account, ms, "subscription_cycle", *_set_period(account, ms))
    _schedule_churn(account, ms)
    if rng.random() < 0.25 * account.quality and account.plan != "studio":
        account.plan_change_ms = ms + rng.randint(20, 200) * DAY_MS
        account.plan_change_to = "pro" if account.plan == "starter" else "studio"
    elif rng.random() < 0.06 and account.plan != "starter":
        account.plan_change_ms = ms + rng.randint(20, 200) * DAY_MS
        account.plan_change_to = "starter" if account.plan == "pro" else "pro"
    sync_account_row(state, account, ms)


def _on_renew(state: SimState, account: Account, ms: int) -> None:
    if account.subscription["cancel_at_period_end"]:
        _end_subscription(state, account, ms)
        return
    _invoice(state, account, ms, "subscription_cycle", *_set_period(account, ms))
    if account.interval == "year" and account.status != "canceled":
        _schedule_churn(account, ms)


def _on_retry(state: SimState, account: Account, ms: int) -> None:
    _attempt_payment(state, account, ms)


def _on_cancel(state: SimState, account: Account, ms: int) -> None:
    sub = account.subscription
    sub["cancel_at_period_end"] = True
    sub["cancel_at"] = account.period_end_ms // 1000
    sub["canceled_at"] = ms // 1000
    sub["cancellation_details"].update(
        reason="cancellation_requested",
        feedback=account.rng.choice(
            ("too_expensive", "unused", "switched_service", "missing_features", "other")
        ),
    )
    account.churn_ms = None
    state.stripe_changed("subscription", sub)
    track(
        state,
        account,
        ms,
        "Subscription Canceled",
        {"plan": account.plan, "feedback": sub["cancellation_details"]["feedback"]},
    )


def _on_plan_change(state: SimState, account: Account, ms: int) -> None:
    old, account.plan = account.plan, account.plan_change_to
    account.plan_change_ms = account.plan_change_to = None
    sub = account.subscription
    sub["items"]["data"][0]["price"] = dict(state.prices[(account.plan, account.interval)])
    state.stripe_changed("subscription", sub)
    track(state, account, ms, "Plan Changed", {"from_plan": old, "to_plan": account.plan})
    sync_account_row(state, account, ms)


def _on_discount_end(state: SimState, account: Account, ms: int) -> None:
    account.discount = None
    account.discount_end_ms = None
    account.subscription["discounts"] = []
    state.stripe_changed("subscription", account.subscription)


def _on_reactivate(state: SimState, account: Account, ms: int) -> None:
    account.reactivate_ms = None
    account.delete_ms = None
    account.engagement = min(0.9, account.engagement + 0.1)
    account.interval = account.interval or "month"
    start_subscription(state, account, ms, trial=False)
    track(state, account, ms, "Subscription Reactivated", {"plan": account.plan})
    _schedule_churn(account, ms)
    sync_account_row(state, account, ms)


_HANDLERS: dict[str, Callable[[SimState, Account, int], None]] = {
    "trial_end": _on_trial_end,
    "renew": _on_renew,
    "retry": _on_retry,
    "cancel": _on_cancel,
    "plan_change": _on_plan_change,
    "discount_end": _on_discount_end,
    "reactivate": _on_reactivate,
}
