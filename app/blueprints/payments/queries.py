"""Read-side figures for the payments overview (a fixed number of queries)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Date, cast, func, select

from app.blueprints.payments.models import Payment, ReconciliationItem, ReconciliationRun, Refund
from app.core.db import utcnow
from app.core.tenancy import current_store
from app.extensions import db

PAID = ("succeeded", "partially_refunded", "refunded")


def _local_day(column, tz: str):
    return cast(func.timezone(tz, column), Date)


@dataclass(frozen=True)
class PaymentToPay:
    """A payment attempt as a gateway's pay page shows it."""

    number: str
    amount: int
    currency: str
    status: str
    order_id: int
    order_number: str


def payment_to_pay(number: str, gateway: str, shopper_id: int) -> PaymentToPay | None:
    """The shopper's own payment attempt with this number at this gateway; another shopper's (or
    another gateway's) is None, like a missing one."""
    from app.blueprints.orders import queries as order_queries

    p = db.session.scalar(select(Payment).where(Payment.number == str(number)[:40], Payment.gateway == gateway))
    order = order_queries.order_ref(p.order_id) if p is not None else None
    if order is None or order.shopper_id != shopper_id:
        return None
    return PaymentToPay(p.number, p.amount, p.currency, p.status, p.order_id, order.number)


def awaiting_confirmation(order_number: str) -> bool:
    """Whether the order's latest payment attempt is still being confirmed: the gateway has not
    answered, or it took the money and the order is about to be marked paid. A refusal
    (failed, closed) ends the wait."""
    from app.blueprints.orders import queries as order_queries

    status = db.session.scalar(select(Payment.status).where(Payment.order_id == order_queries.order_id_of(order_number))
                               .order_by(Payment.id.desc()).limit(1))
    return status in ("created", "pending", "succeeded")


def collected_by_day(days: int = 30) -> list[tuple[str, int]]:
    """Money taken per day (store time zone), refunds on the day they finished taken off, oldest first."""
    tz = current_store().timezone or "Asia/Shanghai"
    today = utcnow().astimezone(ZoneInfo(tz)).date()
    since = today - timedelta(days=days - 1)
    start = datetime.combine(since, time(), tzinfo=ZoneInfo(tz))
    paid_day, refund_day = _local_day(Payment.paid_at, tz), _local_day(Refund.finished_at, tz)
    taken = dict(db.session.execute(select(paid_day, func.sum(Payment.amount)).where(
        Payment.status.in_(PAID), Payment.paid_at >= start).group_by(paid_day)).all())
    given = dict(db.session.execute(select(refund_day, func.sum(Refund.amount)).where(
        Refund.status == "succeeded", Refund.finished_at >= start).group_by(refund_day)).all())
    out = []
    for i in range(days):
        day: date = since + timedelta(days=i)
        out.append((day.isoformat(), int(taken.get(day, 0)) - int(given.get(day, 0))))
    return out


def attention() -> dict[str, int]:
    """What needs a person: flagged payments, refunds pending, open reconciliation differences."""
    flagged = db.session.scalar(select(func.count()).select_from(Payment).where(Payment.flagged.is_not(None)))
    pending = db.session.scalar(select(func.count()).select_from(Refund).where(Refund.status == "pending"))
    open_items = db.session.scalar(select(func.count()).select_from(ReconciliationItem)
                                   .where(ReconciliationItem.resolved_at.is_(None)))
    return {"flagged": flagged, "pending_refunds": pending, "open_differences": open_items}


def paid_payments(order_ids) -> dict[int, dict]:
    """The payment that paid each of these orders (the one the order's timeline names, never a
    later payment it did not need): our number, the gateway, the gateway's trade number, the
    amount and when it was paid (two queries)."""
    from app.blueprints.orders import queries as order_queries

    numbers = order_queries.paying_payments(order_ids)
    if not numbers:
        return {}
    out: dict[int, dict] = {}
    for p in db.session.scalars(select(Payment).where(Payment.number.in_(list(numbers.values())),
                                                      Payment.status.in_(PAID))):
        if numbers.get(p.order_id) == p.number:
            out[p.order_id] = {"number": p.number, "gateway": p.gateway, "trade_no": p.gateway_trade_no or p.number,
                               "amount": p.amount, "currency": p.currency, "paid_at": p.gateway_paid_at or p.paid_at}
    return out


def payment_snapshot(payment_id: int) -> dict | None:
    """One payment as finance posts it: number, order, amount, currency, gateway, when paid."""
    p = db.session.get(Payment, payment_id)
    if p is None:
        return None
    return {"id": p.id, "number": p.number, "order_id": p.order_id, "amount": p.amount, "currency": p.currency,
            "gateway": p.gateway, "paid_at": p.gateway_paid_at or p.paid_at}


def refund_snapshot(refund_id: int) -> dict | None:
    """One refund with its payment's gateway and order, and the order lines it gives money back
    for ({order line id: {quantity, amount}}, empty for a refund by amount alone) (one query)."""
    row = db.session.execute(select(Refund.id, Refund.request_id, Refund.amount, Refund.status, Refund.finished_at,
                                    Payment.id, Payment.number, Payment.order_id, Payment.gateway, Payment.currency,
                                    Refund.lines)
                             .join(Payment, Payment.id == Refund.payment_id).where(Refund.id == refund_id)).first()
    if row is None:
        return None
    keys = ("id", "request_id", "amount", "status", "finished_at", "payment_id", "payment_number", "order_id",
            "gateway", "currency", "lines")
    return dict(zip(keys, row))


def reconciliation_days(since: date) -> list[dict]:
    """Each finished daily reconciliation run since `since`: gateway, day, the statement's net
    total, the gateway's fees in it, ours, and how many differences are still open (one query)."""
    open_items = (select(func.count()).select_from(ReconciliationItem)
                  .where(ReconciliationItem.run_id == ReconciliationRun.id, ReconciliationItem.resolved_at.is_(None))
                  .scalar_subquery())
    rows = db.session.execute(select(ReconciliationRun.gateway, ReconciliationRun.day, ReconciliationRun.status,
                                     ReconciliationRun.gateway_total, ReconciliationRun.our_total,
                                     ReconciliationRun.fee_total, open_items)
                              .where(ReconciliationRun.day >= since)
                              .order_by(ReconciliationRun.day.desc(), ReconciliationRun.gateway))
    return [{"gateway": g, "day": d, "status": s, "gateway_total": gt, "our_total": ot, "fee_total": fee, "open": n}
            for g, d, s, gt, ot, fee, n in rows]


def refunded_between(start: datetime, end: datetime, tz: str) -> dict[date, int]:
    """Refunds that succeeded per local day in [start, end) (the sales dashboard)."""
    day = _local_day(Refund.finished_at, tz)
    return {d: int(total) for d, total in db.session.execute(
        select(day, func.sum(Refund.amount)).where(Refund.status == "succeeded", Refund.finished_at >= start,
                                                   Refund.finished_at < end).group_by(day))}


def reconciliation_snapshot(run_id: int) -> dict | None:
    """One daily reconciliation run as finance posts it: gateway, day, status, the statement's
    net, ours and the gateway's fees (kept less given back)."""
    run = db.session.get(ReconciliationRun, run_id)
    if run is None:
        return None
    return {"id": run.id, "gateway": run.gateway, "day": run.day, "status": run.status,
            "gateway_total": run.gateway_total, "our_total": run.our_total, "fee_total": run.fee_total}


def refunds_by_order(start: datetime, end: datetime, tz: str) -> list[tuple[date, int, int]]:
    """Refunds that succeeded in [start, end): (local day, order id, amount) per day and order,
    so that a report can split them by the order's channel (one query)."""
    day = _local_day(Refund.finished_at, tz)
    return [(d, o, int(total)) for d, o, total in db.session.execute(
        select(day, Payment.order_id, func.sum(Refund.amount)).join(Payment, Payment.id == Refund.payment_id)
        .where(Refund.status == "succeeded", Refund.finished_at >= start, Refund.finished_at < end)
        .group_by(day, Payment.order_id))]


def refunded_lines(start: datetime, end: datetime) -> tuple[dict[int, tuple[int, int]], int]:
    """Refunds that succeeded in [start, end), by order line: ({order line id: (units, amount)},
    the amount refunded by amount alone, with no lines) (two queries)."""
    from sqlalchemy import String, column, text, true
    from sqlalchemy.dialects.postgresql import JSONB

    part = func.jsonb_each(Refund.lines).table_valued(column("key", String), column("value", JSONB)).render_derived()
    done = (Refund.status == "succeeded", Refund.finished_at >= start, Refund.finished_at < end)
    rows = db.session.execute(select(part.c.key, func.sum(part.c.value["quantity"].as_integer()),
                                     func.sum(part.c.value["amount"].as_integer()))
                              .select_from(Refund).join(part, true()).where(*done).group_by(part.c.key))
    by_line = {int(k): (int(q or 0), int(a or 0)) for k, q, a in rows}
    unattributed = db.session.scalar(select(func.coalesce(func.sum(Refund.amount), 0))
                                     .where(*done, func.coalesce(Refund.lines, text("'{}'::jsonb")) == text("'{}'::jsonb")))
    return by_line, int(unattributed)


def order_money(order_id: int, before: datetime | None = None) -> dict | None:
    """What the payment center took for an order and gave back: the gateway of the payment that
    paid it (the one the order's timeline names, never a later payment it did not need), its
    amount, and the refunds of it that succeeded (`before`: those that had succeeded by then)
    (None: not paid through the payment center, e.g. offline). Two queries."""
    from app.blueprints.orders import queries as order_queries

    number = order_queries.paying_payment(order_id)
    if number is None:
        return None
    done = [Refund.payment_id == Payment.id, Refund.status == "succeeded"]
    if before is not None:
        done.append(Refund.finished_at < before)
    refunded = select(func.coalesce(func.sum(Refund.amount), 0)).where(*done).scalar_subquery()
    row = db.session.execute(select(Payment.gateway, Payment.amount, refunded).where(
        Payment.order_id == order_id, Payment.number == number, Payment.status.in_(PAID))).first()
    return {"gateway": row[0], "paid": int(row[1]), "refunded": int(row[2])} if row else None
