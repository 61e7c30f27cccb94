"""Refunds: to the original method, by amount or by order lines, idempotent per request id.

A refund is written `pending` in the caller's transaction and sent to the gateway by a job
after the commit (so a crash between the gateway's yes and our commit cannot lose it: the job
re-sends the same request id, which gateways treat as the same refund). The gateway's answer
or a later notification moves it to succeeded or failed, exactly once.
"""
from __future__ import annotations

from flask_babel import gettext as _, lazy_gettext as _l, lazy_pgettext as _lp
from sqlalchemy import func, select

from app.blueprints.orders import queries as order_queries
from app.blueprints.payments import accounts
from app.blueprints.payments.gateways import Notice
from app.blueprints.payments.models import Payment, PaymentNotification, Refund, RefundEvent
from app.blueprints.payments.services import move
from app.core.db import utcnow
from app.core.errors import DomainError
from app.core.jobs import after_commit, enqueue
from app.core.money import format_money
from app.core.statemachine import StateMachine
from app.core.tenancy import current_store
from app.extensions import db

REFUNDABLE_STATUSES = ("succeeded", "partially_refunded")
STATUS_LABELS = {"pending": _lp("refund status", "Pending"), "succeeded": _l("Succeeded"), "failed": _l("Failed")}
ACTION_LABELS = {"created": _l("Refund of %(amount)s requested"), "resent": _l("Sent to the gateway again")}
# a gateway may report later that a refund it had confirmed failed, or that one it had refused went through
REFUND_STATES = StateMachine("refund", {
    "pending": {"succeeded", "failed"},
    "succeeded": {"failed"},
    "failed": {"succeeded"},
}, STATUS_LABELS, timeline=RefundEvent, actions=ACTION_LABELS, emits={"succeeded", "failed"},
    payload=lambda r, before: {"refund_id": r.id, "payment_id": r.payment_id, "amount": r.amount,
                               "request_id": r.request_id, "from": before})


def is_refundable(payment: Payment) -> bool:
    """Can staff ask for (another) refund of this payment?"""
    return payment.status in REFUNDABLE_STATUSES and refundable(payment) > 0


def refundable(payment: Payment) -> int:
    """What can still be refunded: paid minus refunds pending or done."""
    done = db.session.scalar(select(func.coalesce(func.sum(Refund.amount), 0)).where(
        Refund.payment_id == payment.id, Refund.status.in_(("pending", "succeeded"))))
    return payment.amount - int(done)  # sum() of bigint comes back as numeric


def _refunded_quantities(payment_id: int) -> dict[str, int]:
    """Quantities of each order line already in refunds pending or done."""
    done: dict[str, int] = {}
    for lines in db.session.scalars(select(Refund.lines).where(
            Refund.payment_id == payment_id, Refund.status.in_(("pending", "succeeded")))):
        for line_id, part in (lines or {}).items():
            done[line_id] = done.get(line_id, 0) + int(part.get("quantity", 0))
    return done


def line_amounts(payment: Payment, quantities: dict[int, int]) -> dict[str, dict]:
    """What refunding these quantities of order lines is worth, net of each line's discount share.
    Each unit is worth its cumulative share, so refunding a line unit by unit adds up to its total."""
    already = _refunded_quantities(payment.id)
    order_lines = order_queries.lines_of(payment.order_id)
    if any(q and line_id not in {line.id for line in order_lines} for line_id, q in quantities.items()):
        raise DomainError(_("That line is not part of this order."))
    out = {}
    for line in order_lines:
        quantity, before = quantities.get(line.id, 0), already.get(str(line.id), 0)
        left = line.quantity - before
        if quantity < 0 or quantity > left:
            raise DomainError(_("Refund between 0 and %(n)d of %(sku)s.", n=left, sku=line.sku_code),
                              field=f"qty_{line.id}")
        if quantity:
            amount = line.total * (before + quantity) // line.quantity - line.total * before // line.quantity
            out[str(line.id)] = {"quantity": quantity, "amount": amount}
    return out


def histories(refund_ids: list[int]) -> dict[int, list[RefundEvent]]:
    """The timelines of several refunds in one query, by refund id."""
    out: dict[int, list[RefundEvent]] = {i: [] for i in refund_ids}
    if refund_ids:
        for entry in db.session.scalars(select(RefundEvent).where(RefundEvent.refund_id.in_(refund_ids))
                                        .order_by(RefundEvent.id)):
            out[entry.refund_id].append(entry)
    return out


def refund(actor, payment: Payment, request_id: str, amount: int | None = None,
           lines: dict[int, int] | None = None, reason: str = "") -> Refund:
    """Ask for a refund. The same request id returns the same refund, whatever else is passed."""
    request_id = (request_id or "").strip()[:64]
    if not request_id:
        raise DomainError(_("A refund needs a request id."), field="request_id")
    # the payment lock serialises refunds of one payment, so the request id check below is final
    payment = db.session.get(Payment, payment.id, with_for_update=True, populate_existing=True)
    existing = db.session.scalar(select(Refund).where(Refund.request_id == request_id))
    if existing is not None:
        return existing
    if payment.status not in REFUNDABLE_STATUSES:
        raise DomainError(_("Only successful payments can be refunded."))
    by_line = line_amounts(payment, lines) if lines else {}
    amount = sum(part["amount"] for part in by_line.values()) if by_line else amount
    if not amount or amount <= 0:
        raise DomainError(_("Give an amount above zero."), field="amount")
    if amount > refundable(payment):
        raise DomainError(_("At most %(n)s can still be refunded.", n=format_money(refundable(payment), payment.currency)),
                          field="amount")
    item = Refund(payment_id=payment.id, request_id=request_id, amount=amount, lines=by_line,
                  reason=(reason or "").strip()[:300], status="pending",
                  actor_name=getattr(actor, "email", None) or "system")
    db.session.add(item)
    db.session.flush()
    REFUND_STATES.start(item, actor, item.reason, amount=amount, currency=payment.currency)
    send_later(item)
    return item


def resend(actor, item: Refund) -> Refund:
    """Send a pending refund again with the same request id (gateways treat it as the same refund)."""
    if item.status != "pending":
        raise DomainError(_("Only a pending refund can be sent again."))
    REFUND_STATES.record(item, actor, "resent")
    send_later(item)
    return item


def send_later(item: Refund) -> None:
    from app.blueprints.payments import jobs

    refund_id, store_id = item.id, current_store().id
    after_commit(lambda: enqueue(jobs.send_refund, refund_id, store_id=store_id))


def _locked(refund_id: int | None = None, request_id: str | None = None) -> tuple[Refund | None, Payment | None]:
    """The refund and its payment, locked and re-read (never a stale copy from the session)."""
    stmt = select(Refund).with_for_update().execution_options(populate_existing=True)
    item = db.session.scalar(stmt.where(Refund.id == refund_id) if refund_id is not None
                             else stmt.where(Refund.request_id == request_id))
    if item is None:
        return None, None
    return item, db.session.get(Payment, item.payment_id, with_for_update=True, populate_existing=True)


def send(refund_id: int) -> str:
    """Send a pending refund to its gateway and apply the answer (the job's body).
    GatewayError propagates so the job retries with the same request id."""
    item, payment = _locked(refund_id)
    if item is None or item.status != "pending":
        return "nothing to do"
    notice = accounts.gateway(payment.gateway).refund(payment, item)
    item.gateway_refund_no = notice.trade_no or item.gateway_refund_no
    if notice.status == "succeeded":
        _succeeded(payment, item, notice)
    elif notice.status == "failed":
        _failed(payment, item, notice)
    return notice.status


def apply_refund_notice(notice: Notice, note: PaymentNotification | None = None) -> str:
    """A refund notification: pending → succeeded or failed once. A gateway may also report
    later that a refund it had confirmed failed, or that one it had refused went through;
    both are applied and the payment is flagged for a person."""
    item, payment = _locked(request_id=notice.reference)
    if item is None:
        return "unknown_refund"
    if note is not None:
        note.payment_id = payment.id
    if notice.amount is not None and notice.amount != item.amount:
        payment.flagged = _("The gateway reported a refund of %(amount)s for %(ref)s.", amount=notice.amount,
                            ref=item.request_id)
        return "amount_mismatch"
    if notice.status not in ("succeeded", "failed") or item.status == notice.status:
        return "duplicate" if item.status == notice.status else "ignored"
    item.gateway_refund_no = notice.trade_no or item.gateway_refund_no
    if item.status != "pending":
        payment.flagged = _("Refund %(ref)s was %(before)s and is now %(after)s: check it with the gateway.",
                            ref=item.request_id, before=STATUS_LABELS[item.status], after=STATUS_LABELS[notice.status])
    if notice.status == "succeeded":
        _succeeded(payment, item, notice)
    else:
        _failed(payment, item, notice)
    return "applied"


def _refunded(payment: Payment) -> int:
    """Money of this payment's refunds that succeeded."""
    return int(db.session.scalar(select(func.coalesce(func.sum(Refund.amount), 0)).where(
        Refund.payment_id == payment.id, Refund.status == "succeeded")))


def _settle_payment_status(payment: Payment, action: str, item: Refund) -> str:
    """The payment's status from what has been refunded so far."""
    done = _refunded(payment)
    target = "refunded" if done >= payment.amount else "partially_refunded" if done else "succeeded"
    if target != payment.status:
        move(payment, target, action=action, refund=item.request_id)
    return target


def _gateway_data(notice) -> dict:
    return {"gateway_status": getattr(notice, "raw_status", None), "trade_no": getattr(notice, "trade_no", None)}


def _succeeded(payment: Payment, item: Refund, notice=None) -> None:
    at = getattr(notice, "at", None)
    full = _refunded(payment) + item.amount >= payment.amount     # this one not counted yet
    REFUND_STATES.move(item, "succeeded", None, event={"order_id": payment.order_id, "full": full},
                       **_gateway_data(notice))
    item.finished_at, item.failure = utcnow(), None
    item.gateway_finished_at = at or item.gateway_finished_at or item.finished_at
    _settle_payment_status(payment, "refund_succeeded", item)


def _failed(payment: Payment, item: Refund, notice=None) -> None:
    why = (getattr(notice, "raw_status", None) or "")[:300]
    REFUND_STATES.move(item, "failed", None, event={"reason": why}, **_gateway_data(notice))
    item.finished_at, item.failure = utcnow(), why
    _settle_payment_status(payment, "refund_failed", item)


def query_pending(older_than_minutes: int = 10, limit: int = 50, after_each=None) -> int:
    """Ask the gateway about refunds pending for a while and settle them; one the gateway never
    saw is sent again (same request id). `after_each` (the job passes commit) runs after each.
    Returns how many were settled."""
    from datetime import timedelta

    from app.blueprints.payments.services import one_by_one

    cutoff = utcnow() - timedelta(minutes=older_than_minutes)
    ids = db.session.scalars(select(Refund.id).where(Refund.status == "pending", Refund.created_at < cutoff)
                             .order_by(Refund.id).limit(limit)).all()
    return one_by_one(ids, _settle_by_query, (lambda _id: after_each()) if after_each else None)


def _settle_by_query(refund_id: int) -> int:
    item, payment = _locked(refund_id)
    if item is None or item.status != "pending":
        return 0
    notice = accounts.gateway(payment.gateway).refund_query(payment, item)
    if notice is None:
        send_later(item)
        return 0
    if notice.status not in ("succeeded", "failed"):
        return 0
    item.gateway_refund_no = notice.trade_no or item.gateway_refund_no
    if notice.status == "succeeded":
        _succeeded(payment, item, notice)
    else:
        _failed(payment, item, notice)
    return 1


def flag_stuck(older_than_minutes: int = 60) -> int:
    """Refunds still pending after an hour (gateway errors outlasting the job's retries, a webhook
    that never came) flag their payment for a person. Returns how many were flagged."""
    from datetime import timedelta

    cutoff = utcnow() - timedelta(minutes=older_than_minutes)
    stuck = db.session.execute(select(Refund, Payment).join(Payment, Payment.id == Refund.payment_id).where(
        Refund.status == "pending", Refund.created_at < cutoff)).all()
    flagged = 0
    for item, payment in stuck:
        text = _("Refund %(ref)s is still pending: check it with the gateway, then send it again.", ref=item.request_id)
        if payment.flagged != text:
            payment.flagged, flagged = text, flagged + 1
    return flagged


# --- refunds asked for by another center (after-sales) -----------------------------------------

def flag_refund(request_id: str, why: str) -> bool:
    """Another center found that this refund needs a person (a group's refund that went through
    after staff had paid the shopper back by hand): its payment is flagged with `why`, as a
    payment the order did not need is (the payments list's "Needs attention"). False: no such refund."""
    _item, payment = _locked(request_id=(request_id or "").strip()[:64])
    if payment is None:
        return False
    payment.flagged = (why or "")[:300]
    db.session.flush()
    return True


def order_payment(order_id: int) -> Payment | None:
    """The payment that paid the order (the one its timeline names, `orders.paying_payment`),
    refunded or not. Another payment of the same order (a second attempt that also went through,
    flagged as not needed) is never it, newer or not; None: paid offline or not paid."""
    number = order_queries.paying_payment(order_id)
    if number is None:
        return None
    return db.session.scalar(select(Payment).where(
        Payment.order_id == order_id, Payment.number == number,
        Payment.status.in_((*REFUNDABLE_STATUSES, "refunded"))))


def order_refundable(order_id: int) -> int | None:
    """What of the order's payment can still be refunded through its gateway (paid minus refunds
    pending or done, e.g. by after-sales); None: the order was not paid through a gateway."""
    payment = order_payment(order_id)
    return None if payment is None else max(0, refundable(payment))


def refund_order(actor, order_id: int, request_id: str, *, lines: dict[int, int] | None = None,
                 amount: int | None = None, reason: str = "") -> Refund:
    """Refund order lines (their paid share, unit by unit) or an amount of the order's payment,
    idempotent per request id (see `refund`). An order paid offline has no payment to refund."""
    existing = db.session.scalar(select(Refund).where(Refund.request_id == (request_id or "").strip()[:64]))
    if existing is not None:
        return existing
    payment = order_payment(order_id)
    if payment is None:
        raise DomainError(_("This order was not paid through a payment gateway: refund it by hand."))
    return refund(actor, payment, request_id, amount=amount, lines=lines, reason=reason)


def quote_lines(order_id: int, quantities: dict[int, int]) -> dict[str, dict]:
    """What refunding these quantities of the order's lines would pay back now (see line_amounts)."""
    payment = order_payment(order_id)
    if payment is None:
        raise DomainError(_("This order was not paid through a payment gateway: refund it by hand."))
    return line_amounts(payment, quantities)


def refund_state(request_id: str) -> str | None:
    """The status of the refund with this request id (None: never asked)."""
    return db.session.scalar(select(Refund.status).where(Refund.request_id == request_id))
