"""Payments: start an attempt, apply what gateways say exactly once, ask about stale ones.

Every notification, whichever gateway sent it, is kept raw and then applied by
`apply_payment_notice` / `refunds.apply_refund_notice` under a row lock, so copies and
out-of-order notices change nothing after the first that moves the state.
"""
from __future__ import annotations

import logging
from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _, lazy_gettext as _l, lazy_pgettext as _lp
from sqlalchemy import or_, select, update

from app.blueprints.orders import queries as order_queries
from app.blueprints.payments import accounts
from app.blueprints.payments.gateways import BadNotification, GatewayError, Notice, registry
from app.blueprints.payments.models import Payment, PaymentEvent, PaymentNotification
from app.core.db import utcnow
from app.core.errors import DomainError
from app.core.statemachine import StateMachine
from app.core.tenancy import current_store
from app.extensions import db

log = logging.getLogger(__name__)
STATUS_LABELS = {"created": _lp("payment status", "Created"), "pending": _lp("payment status", "Pending"), "succeeded": _l("Succeeded"),
                 "failed": _l("Failed"), "closed": _l("Closed"), "partially_refunded": _l("Partially refunded"),
                 "refunded": _l("Refunded")}
# what became of a gateway notification, as the payment page lists it
OUTCOME_LABELS = {"received": _lp("gateway notification", "Received"), "applied": _l("Applied"), "duplicate": _l("Duplicate, changed nothing"),
                  "after_refund": _l("After a refund, changed nothing"), "ignored": _l("Ignored"),
                  "bad_signature": _l("Bad signature, refused"), "unknown_gateway": _l("Unknown gateway"),
                  "unknown_payment": _l("Unknown payment"), "unknown_refund": _l("Unknown refund"),
                  "amount_mismatch": _l("Amount does not match"), "unknown_status": _l("Unknown status"),
                  "not_found": _l("Not found at the gateway"), "query_failed": _l("Query failed"),
                  "nothing to do": _l("Nothing to do")}
ACTION_LABELS = {"created": _l("Attempt started"), "no_trade": _l("Closed: the gateway has no completed trade "
                                                                   "and the order no longer waits"),
                 "refund_succeeded": _l("Refund %(refund)s succeeded"), "refund_failed": _l("Refund %(refund)s failed")}
PAYMENT_STATES = StateMachine("payment", {
    "created": {"pending", "succeeded", "failed", "closed"},
    "pending": {"succeeded", "failed", "closed"},
    "failed": {"succeeded"},            # a late success after a failed attempt still counts
    "closed": {"succeeded"},
    "succeeded": {"partially_refunded", "refunded"},
    "partially_refunded": {"partially_refunded", "refunded", "succeeded"},   # back: a confirmed refund failed
    "refunded": {"partially_refunded", "succeeded"},
}, STATUS_LABELS, timeline=PaymentEvent, actions=ACTION_LABELS, emits={"succeeded"},
    payload=lambda p, before: {"payment_id": p.id, "order_id": p.order_id, "amount": p.amount, "number": p.number,
                               "from": before})


# The states a gateway's payment notice (or query answer) may move a payment out of. Once money
# went back, only the refund flow moves the payment (a confirmed refund that failed after all):
# a replayed or late TRADE_SUCCESS must never turn a refunded payment back into a paid one.
NOTICE_MAY_MOVE = {"created", "pending", "failed", "closed", "succeeded"}


def move(payment: Payment, target: str, actor=None, reason: str = "", **data):
    """Change the payment's state through its machine: timeline row, and `payment.succeeded` when it succeeds."""
    return PAYMENT_STATES.move(payment, target, actor, reason, **data)


def start_payment(order, gateway: str = accounts.SANDBOX, method: str = "") -> Payment:
    """A payment attempt for the order's payable amount (one per attempt)."""
    if order.status != "pending_payment":
        raise DomainError(_("This order is not waiting for payment."))
    if gateway not in accounts.enabled_gateways():
        raise DomainError(_("This payment method is not available."))
    currencies = registry()[gateway].currencies
    if currencies and order.currency not in currencies:
        raise DomainError(_("This payment method does not take %(currency)s.", currency=order.currency))
    payment = Payment(number="tmp", order_id=order.id, amount=order.payable, currency=order.currency,
                      gateway=gateway, method=method, status="pending")
    db.session.add(payment)
    db.session.flush()
    payment.number = f"P{current_store().id}-{payment.id:09d}"
    PAYMENT_STATES.start(payment, amount=payment.amount)
    return payment


def handle_notification(gateway_name: str, body: bytes, form: dict, headers: dict) -> tuple[str, bool]:
    """Keep the raw notification, verify it, apply each notice in it. Returns (outcome, acknowledge):
    a copy we already applied is acknowledged so the gateway stops sending it."""
    from app.blueprints.payments import refunds

    note = PaymentNotification(gateway=gateway_name, body=body.decode("utf-8", "replace")[:20000],
                               headers=headers, outcome="received")
    db.session.add(note)
    try:
        notices = accounts.gateway(gateway_name).parse_notification(body, form, headers)
    except BadNotification:
        note.outcome = "bad_signature"
        return note.outcome, False
    except DomainError:
        note.outcome = "unknown_gateway"
        return note.outcome, False
    outcomes = []
    for notice in notices:
        if notice.kind == "refund":
            outcomes.append(refunds.apply_refund_notice(notice, note))
        else:
            outcomes.append(apply_payment_notice(notice, gateway_name, note))
    note.outcome = outcomes[0] if outcomes else "ignored"
    # a verified notice about something we do not hold is kept for staff and acknowledged:
    # refusing it would only make the gateway resend it for a day (and Stripe disable the endpoint)
    acknowledged = ("applied", "duplicate", "after_refund", "ignored", "unknown_payment", "unknown_refund")
    return note.outcome, all(o in acknowledged for o in outcomes)


def apply_payment_notice(notice: Notice, gateway_name: str, note: PaymentNotification | None = None) -> str:
    """Check the notice against our payment (same gateway, amount, currency), then move its state at most once."""
    payment = db.session.scalar(select(Payment).where(Payment.number == notice.reference).with_for_update()
                                .execution_options(populate_existing=True))
    if payment is None or payment.gateway != gateway_name:
        return "unknown_payment"
    if note is not None:
        note.payment_id = payment.id
    if notice.amount != payment.amount or (notice.currency or "").upper() != payment.currency:
        payment.flagged = _("The gateway reported %(amount)s %(currency)s.", amount=notice.amount,
                            currency=notice.currency)
        return "amount_mismatch"
    target = notice.status
    if target not in ("succeeded", "failed", "closed"):
        return "ignored" if target == "pending" else "unknown_status"
    if payment.status not in NOTICE_MAY_MOVE:
        log.warning("payment %s is %s: a %s notice for it changes nothing", payment.number, payment.status, target)
        return "after_refund"   # acknowledged and kept in the log; the refund stands
    if payment.status == target or target not in PAYMENT_STATES.allowed(payment.status):
        return "duplicate"      # copies and out-of-order notices change nothing
    payment.gateway_trade_no = notice.trade_no or payment.gateway_trade_no
    if target == "succeeded":
        payment.paid_at = utcnow()
        payment.gateway_paid_at = notice.at or payment.paid_at
    move(payment, target, None, gateway_status=notice.raw_status, trade_no=notice.trade_no)   # emits payment.succeeded
    return "applied"


def query_stale(limit: int = 50, after_each=None) -> int:
    """Ask the gateway about payments pending longer than PAYMENT_QUERY_AFTER_MINUTES and settle
    them as a notification would; those asked longest ago go first. A payment the gateway never
    completed is closed once its order no longer waits for payment. One payment's trouble
    (gateway down, broken keys) does not stop the others. `after_each` (the job passes commit)
    runs after every payment so no lock is held across the next network call. Returns how many changed."""
    cutoff = utcnow() - timedelta(minutes=current_app.config["PAYMENT_QUERY_AFTER_MINUTES"])
    ids = db.session.scalars(select(Payment.id).where(
        Payment.status.in_(("created", "pending")), Payment.created_at < cutoff,
        or_(Payment.last_queried_at.is_(None), Payment.last_queried_at < cutoff))
        .order_by(Payment.last_queried_at.asc().nulls_first(), Payment.id).limit(limit)).all()

    def asked(payment_id):
        db.session.execute(update(Payment).where(Payment.id == payment_id).values(last_queried_at=utcnow()))
        if after_each:
            after_each()

    return one_by_one(ids, lambda i: settle_by_query(db.session.get(Payment, i)) == "applied", asked)


def one_by_one(ids, settle, after_each=None) -> int:
    """`settle(id)` for each id in its own SAVEPOINT: one row's trouble (gateway down, broken keys)
    is logged and rolled back alone, and the rest go on. `after_each(id)` runs after every one
    (a job commits there so no lock is held across the next network call). Returns the truthy count."""
    import logging

    done = 0
    for item_id in ids:
        try:
            with db.session.begin_nested():
                done += bool(settle(item_id))
        except Exception:   # noqa: BLE001 - logged; the next one must still be asked
            logging.getLogger(__name__).exception("settling %s failed", item_id)
        if after_each:
            after_each(item_id)
    return done


def settle_by_query(payment: Payment) -> str:
    """One active query; the answer is logged with the notifications."""
    note = PaymentNotification(gateway=payment.gateway, payment_id=payment.id, body="", headers={"via": "query"},
                               outcome="received")
    db.session.add(note)
    try:
        notice = accounts.gateway(payment.gateway).query(payment)
    except GatewayError as err:
        note.body, note.outcome = str(err)[:2000], "query_failed"
        return note.outcome
    if notice is None or notice.status == "pending":
        note.body = f"{notice.raw_status} (not paid)" if notice else "trade does not exist"
        order = order_queries.order_ref(payment.order_id)
        # an attempt never completed whose order no longer waits: nothing can arrive for it any more
        if order.status != "pending_payment" and "closed" in PAYMENT_STATES.allowed(payment.status):
            try:
                if notice is not None:      # an open trade at the gateway: close it so it cannot be paid after all
                    accounts.gateway(payment.gateway).close(payment)
            except GatewayError as err:
                note.body, note.outcome = str(err)[:2000], "query_failed"
                return note.outcome
            move(payment, "closed", action="no_trade")
            note.outcome = "applied"
        else:
            note.outcome = "not_found" if notice is None else "ignored"
        return note.outcome
    note.body = f"{notice.raw_status} {notice.amount} {notice.currency} {notice.trade_no or ''}"
    note.outcome = apply_payment_notice(notice, payment.gateway, note)
    return note.outcome
