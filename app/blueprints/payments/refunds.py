"""Refunds: to the original method, by amount or by order lines, idempotent per request id.

A refund is written `pending` in the caller's transaction and sent to the gateway by a job
after the commit (so a crash between the gateway's yes and our commit cannot lose it: the job
re-sends the same request id, which gateways treat as the same refund). The gateway's answer
or a later notification moves it to succeeded or failed, exactly once.
"""
from __future__ import annotations

from flask_babel import gettext as _, lazy_gettext as _l
from sqlalchemy import func, select

from app.blueprints.orders.models import OrderLine
from app.blueprints.payments import accounts
from app.blueprints.payments.gateways import Notice
from app.blueprints.payments.models import Payment, PaymentNotification, Refund
from app.blueprints.payments.services import PAYMENT_STATES
from app.core.db import utcnow
from app.core.errors import DomainError
from app.core.jobs import after_commit, enqueue
from app.core.outbox import emit
from app.core.tenancy import current_store
from app.extensions import db

STATUS_LABELS = {"pending": _l("Pending"), "succeeded": _l("Succeeded"), "failed": _l("Failed")}


def refundable(payment: Payment) -> int:
    """What can still be refunded: paid minus refunds pending or done."""
    done = db.session.scalar(select(func.coalesce(func.sum(Refund.amount), 0)).where(
        Refund.payment_id == payment.id, Refund.status.in_(("pending", "succeeded"))))
    return payment.amount - int(done)  # sum() of bigint comes back as numeric


def line_amounts(order_id: int, quantities: dict[int, int]) -> dict[int, int]:
    """What refunding these quantities of order lines is worth, net of each line's discount share."""
    out = {}
    for line in db.session.scalars(select(OrderLine).where(OrderLine.order_id == order_id)):
        quantity = quantities.get(line.id, 0)
        if quantity < 0 or quantity > line.quantity:
            raise DomainError(_("Refund between 0 and %(n)d of %(sku)s.", n=line.quantity, sku=line.sku_code))
        if quantity:
            out[line.id] = line.total * quantity // line.quantity
    return out


def refund(actor, payment: Payment, request_id: str, amount: int | None = None,
           lines: dict[int, int] | None = None, reason: str = "") -> Refund:
    """Ask for a refund. The same request id returns the same refund, whatever else is passed."""
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
    item = Refund(payment_id=payment.id, request_id=request_id, amount=amount,
                  lines={str(k): v for k, v in by_line.items()}, reason=(reason or "").strip()[:300],
                  status="pending", actor_name=getattr(actor, "email", None) or "system")
    db.session.add(item)
    db.session.flush()
    send_later(item)
    return item


def send_later(item: Refund) -> None:
    from app.blueprints.payments import jobs

    refund_id, store_id = item.id, current_store().id
    after_commit(lambda: enqueue(jobs.send_refund, refund_id, store_id=store_id))


def send(refund_id: int) -> str:
    """Send a pending refund to its gateway and apply the answer (the job's body).
    GatewayError propagates so the job retries with the same request id."""
    item = db.session.get(Refund, refund_id, with_for_update=True)
    if item is None or item.status != "pending":
        return "nothing to do"
    payment = db.session.get(Payment, item.payment_id, with_for_update=True)
    notice = accounts.gateway(payment.gateway).refund(payment, item)
    item.gateway_refund_no = notice.trade_no or item.gateway_refund_no
    if notice.status == "succeeded":
        _succeeded(payment, item)
    elif notice.status == "failed":
        _failed(item, notice.raw_status)
    return notice.status


def apply_refund_notice(notice: Notice, note: PaymentNotification | None = None) -> str:
    """A refund notification: the refund it names moves from pending at most once."""
    item = db.session.scalar(select(Refund).where(Refund.request_id == notice.reference).with_for_update())
    if item is None:
        return "unknown_refund"
    payment = db.session.get(Payment, item.payment_id, with_for_update=True)
    if note is not None:
        note.payment_id = payment.id
    if notice.amount is not None and notice.amount != item.amount:
        payment.flagged = _("The gateway reported a refund of %(amount)s for %(ref)s.", amount=notice.amount,
                            ref=item.request_id)
        return "amount_mismatch"
    if item.status != "pending" or notice.status not in ("succeeded", "failed"):
        return "duplicate" if item.status != "pending" else "ignored"
    item.gateway_refund_no = notice.trade_no or item.gateway_refund_no
    if notice.status == "succeeded":
        _succeeded(payment, item)
    else:
        _failed(item, notice.raw_status)
    return "applied"


def _succeeded(payment: Payment, item: Refund) -> None:
    item.status, item.finished_at = "succeeded", utcnow()
    done = db.session.scalar(select(func.coalesce(func.sum(Refund.amount), 0)).where(
        Refund.payment_id == payment.id, Refund.status == "succeeded"))
    target = "refunded" if int(done) >= payment.amount else "partially_refunded"
    PAYMENT_STATES.check(payment.status, target)
    payment.status = target
    emit("refund.succeeded", {"refund_id": item.id, "payment_id": payment.id, "order_id": payment.order_id,
                              "amount": item.amount, "full": target == "refunded"})


def _failed(item: Refund, why: str) -> None:
    item.status, item.finished_at, item.failure = "failed", utcnow(), (why or "")[:300]
    emit("refund.failed", {"refund_id": item.id, "payment_id": item.payment_id, "reason": item.failure})
