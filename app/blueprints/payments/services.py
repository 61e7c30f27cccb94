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


def refundable(payment: Payment) -> int:
    from sqlalchemy import func

    from app.blueprints.payments.models import Refund

    done = db.session.scalar(select(func.coalesce(func.sum(Refund.amount), 0)).where(
        Refund.payment_id == payment.id, Refund.status.in_(("pending", "succeeded"))))
    return payment.amount - int(done)  # sum() of bigint comes back as numeric


def line_amounts(order_id: int, quantities: dict[int, int]) -> dict[int, int]:
    """What refunding these quantities of order lines is worth, net of each line's discount share."""
    from app.blueprints.orders.models import OrderLine

    out = {}
    for line in db.session.scalars(select(OrderLine).where(OrderLine.order_id == order_id)):
        quantity = quantities.get(line.id, 0)
        if quantity < 0 or quantity > line.quantity:
            raise DomainError(_("Refund between 0 and %(n)d of %(sku)s.", n=line.quantity, sku=line.sku_code))
        if quantity:
            out[line.id] = line.total * quantity // line.quantity
    return out


def refund(actor, payment: Payment, request_id: str, amount: int | None = None,
           lines: dict[int, int] | None = None, reason: str = ""):
    """Refund to the original method, by amount or by order lines. Idempotent per request id:
    the same request returns the same refund. The sandbox gateway answers at once."""
    from app.blueprints.payments.models import Refund

    request_id = (request_id or "").strip()[:64]
    if not request_id:
        raise DomainError(_("A refund needs a request id."), field="request_id")
    existing = db.session.scalar(select(Refund).where(Refund.request_id == request_id))
    if existing is not None:
        return existing
    payment = db.session.get(Payment, payment.id, with_for_update=True)
    if payment.status not in ("succeeded", "partially_refunded"):
        raise DomainError(_("Only successful payments can be refunded."))
    by_line = line_amounts(payment.order_id, lines) if lines else {}
    amount = sum(by_line.values()) if by_line else amount
    if not amount or amount <= 0:
        raise DomainError(_("Give an amount above zero."), field="amount")
    if amount > refundable(payment):
        raise DomainError(_("At most %(n)s can still be refunded.", n=refundable(payment)), field="amount")
    item = Refund(payment_id=payment.id, request_id=request_id, amount=amount, lines={str(k): v for k, v in by_line.items()},
                  reason=(reason or "").strip()[:300], status="pending",
                  actor_name=getattr(actor, "email", None) or "system")
    db.session.add(item)
    db.session.flush()
    if payment.gateway == sandbox.NAME:
        _refund_succeeded(payment, item)
    return item


def _refund_succeeded(payment: Payment, item) -> None:
    item.status, item.finished_at = "succeeded", utcnow()
    target = "refunded" if refundable(payment) == 0 else "partially_refunded"
    PAYMENT_STATES.check(payment.status, target)
    payment.status = target
    emit("refund.succeeded", {"refund_id": item.id, "payment_id": payment.id, "order_id": payment.order_id,
                              "amount": item.amount, "full": target == "refunded"})
