"""Payment operations: start a payment, apply a gateway notification exactly once."""
from __future__ import annotations

from flask_babel import gettext as _, lazy_gettext as _l
from sqlalchemy import select

from app.blueprints.orders.models import Order
from app.blueprints.payments import sandbox
from app.blueprints.payments.models import Payment, PaymentNotification
from app.core.db import utcnow
from app.core.errors import DomainError
from app.core.outbox import emit
from app.core.statemachine import StateMachine
from app.core.tenancy import current_store
from app.extensions import db

STATUS_LABELS = {"created": _l("Created"), "pending": _l("Pending"), "succeeded": _l("Succeeded"),
                 "failed": _l("Failed"), "closed": _l("Closed"), "partially_refunded": _l("Partially refunded"),
                 "refunded": _l("Refunded")}
PAYMENT_STATES = StateMachine("payment", {
    "created": {"pending", "succeeded", "failed", "closed"},
    "pending": {"succeeded", "failed", "closed"},
    "failed": {"succeeded"},            # a late success after a failed attempt still counts
    "closed": {"succeeded"},
    "succeeded": {"partially_refunded", "refunded"},
    "partially_refunded": {"partially_refunded", "refunded"},
}, STATUS_LABELS)


def start_payment(order: Order, gateway: str = sandbox.NAME, method: str = "") -> Payment:
    """A payment attempt for the order's payable amount (one per attempt)."""
    if order.status != "pending_payment":
        raise DomainError(_("This order is not waiting for payment."))
    payment = Payment(number=f"tmp", order_id=order.id, amount=order.payable, currency=order.currency,
                      gateway=gateway, method=method, status="pending")
    db.session.add(payment)
    db.session.flush()
    payment.number = f"P{current_store().id}-{payment.id:09d}"
    return payment


def handle_sandbox_notification(fields: dict, headers: dict) -> str:
    """Verify, then apply at most once. Returns the outcome (also kept with the raw notice)."""
    body = "&".join(f"{k}={v}" for k, v in sorted(fields.items()))
    note = PaymentNotification(gateway=sandbox.NAME, body=body, headers=headers, outcome="received")
    db.session.add(note)
    if not sandbox.verify(fields, sandbox.secret(current_store().id)):
        note.outcome = "bad_signature"
        return note.outcome
    payment = db.session.scalar(select(Payment).where(Payment.number == fields.get("out_trade_no"))
                                .with_for_update())
    if payment is None:
        note.outcome = "unknown_payment"
        return note.outcome
    note.payment_id = payment.id
    try:
        amount = int(fields.get("total_amount", ""))
    except ValueError:
        amount = -1
    if amount != payment.amount or fields.get("currency") != payment.currency:
        note.outcome = "amount_mismatch"
        payment.flagged = _("The gateway reported %(amount)s %(currency)s.", amount=fields.get("total_amount"),
                            currency=fields.get("currency"))
        return note.outcome
    status = fields.get("trade_status")
    target = {"TRADE_SUCCESS": "succeeded", "TRADE_FAILED": "failed", "TRADE_CLOSED": "closed"}.get(status)
    if target is None:
        note.outcome = "unknown_status"
        return note.outcome
    if payment.status == target or target not in PAYMENT_STATES.allowed(payment.status):
        note.outcome = "duplicate"      # copies and out-of-order notices change nothing
        return note.outcome
    payment.status, payment.gateway_trade_no = target, fields.get("trade_no") or payment.gateway_trade_no
    if target == "succeeded":
        payment.paid_at = utcnow()
        emit("payment.succeeded", {"payment_id": payment.id, "order_id": payment.order_id, "amount": payment.amount,
                                   "number": payment.number})
    note.outcome = "applied"
    return note.outcome
