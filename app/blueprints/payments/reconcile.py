"""Reconciliation (对账): a gateway's daily statement against our payments and refunds.

Payments are matched by our number (else the gateway's trade number), refunds by request id
(else the gateway's refund number). Each difference is filed for review: missing on our side,
missing on the gateway's side, or amounts that differ. Running a day again recomputes it and
keeps what staff already resolved. The statement's fees (what the gateway kept on its payments,
less what it gave back on refunds) are kept with the day's run, and `reconciliation.done` tells
finance the day's totals.
"""
from __future__ import annotations

from datetime import date

from flask_babel import gettext as _, lazy_gettext as _l
from sqlalchemy import delete, func, select

from app.blueprints.payments import accounts
from app.blueprints.payments.gateways import GatewayError, StatementRow, day_bounds
from app.blueprints.payments.models import Payment, ReconciliationItem, ReconciliationRun, Refund
from app.core import audit
from app.core.db import utcnow
from app.core.errors import DomainError
from app.core.outbox import emit
from app.core.tenancy import current_store
from app.extensions import db

KIND_LABELS = {"missing_ours": _l("Missing on our side"), "missing_gateway": _l("Missing at the gateway"),
               "amount_mismatch": _l("Amounts differ")}


def run_due(now=None) -> int:
    """Reconcile yesterday (in the store's time zone) for every enabled gateway not yet done for
    it, once the gateways have published their statements (RECONCILE_AFTER_HOUR, store time;
    Alipay's bill is ready about 09:00 Beijing). A failed run is tried again the next hour.
    Returns the differences found."""
    from datetime import timedelta
    from zoneinfo import ZoneInfo

    from flask import current_app

    local = (now or utcnow()).astimezone(ZoneInfo(current_store().timezone or "Asia/Shanghai"))
    if local.hour < current_app.config["RECONCILE_AFTER_HOUR"]:
        return 0
    day = local.date() - timedelta(days=1)
    found = 0
    for name in _gateways_for(day):
        done = db.session.scalar(select(ReconciliationRun).where(
            ReconciliationRun.gateway == name, ReconciliationRun.day == day, ReconciliationRun.status == "done"))
        if done is None:
            found += run(name, day).differences
    return found


def _gateways_for(day: date) -> list[str]:
    """The enabled gateways, and any other that still took or returned money that day (a store
    that switched a gateway off must still check its last days against the statement)."""
    start, end = day_bounds(current_store(), day)
    paid = func.coalesce(Payment.gateway_paid_at, Payment.paid_at)
    used = set(db.session.scalars(select(Payment.gateway).where(paid >= start, paid < end).distinct()))
    done = func.coalesce(Refund.gateway_finished_at, Refund.finished_at)
    used |= set(db.session.scalars(select(Payment.gateway).join(Refund, Refund.payment_id == Payment.id).where(
        done >= start, done < end).distinct()))
    names = accounts.enabled_gateways()
    for name in sorted(used - set(names)):
        try:
            accounts.gateway(name)
        except DomainError:     # e.g. the sandbox where SANDBOX_GATEWAY is now off
            continue
        names.append(name)
    return names


def _ours(gateway: str, day: date) -> tuple[list[Payment], list[tuple[Refund, Payment]]]:
    start, end = day_bounds(current_store(), day)
    paid = func.coalesce(Payment.gateway_paid_at, Payment.paid_at)     # the gateway files by its own clock
    payments = db.session.scalars(select(Payment).where(Payment.gateway == gateway, paid >= start, paid < end)).all()
    done = func.coalesce(Refund.gateway_finished_at, Refund.finished_at)
    refunds = db.session.execute(select(Refund, Payment).join(Payment, Payment.id == Refund.payment_id).where(
        Payment.gateway == gateway, Refund.status == "succeeded", done >= start, done < end)).all()
    return payments, [tuple(r) for r in refunds]


def run(gateway: str, day: date) -> ReconciliationRun:
    """Load the statement and file every difference. A gateway error marks the run failed."""
    record = db.session.scalar(select(ReconciliationRun).where(
        ReconciliationRun.gateway == gateway, ReconciliationRun.day == day).with_for_update())
    if record is None:
        record = ReconciliationRun(gateway=gateway, day=day)
        db.session.add(record)
        db.session.flush()
    record.status, record.error, record.started_at, record.finished_at = "running", None, utcnow(), None
    try:
        rows = accounts.gateway(gateway).statement(day)
    except GatewayError as err:
        payments, refunds = _ours(gateway, day)
        if payments or refunds:
            record.status, record.error, record.finished_at = "failed", str(err)[:2000], utcnow()
            return record
        rows = []       # nothing on our side and no statement (Alipay has no bill for a quiet day)
    db.session.execute(delete(ReconciliationItem).where(ReconciliationItem.run_id == record.id,
                                                        ReconciliationItem.resolved_at.is_(None)))
    kept = {(i.kind, i.record, i.reference) for i in db.session.scalars(
        select(ReconciliationItem).where(ReconciliationItem.run_id == record.id))}
    payments, refunds = _ours(gateway, day)
    items = _match_payments(rows, payments) + _match_refunds(rows, refunds)
    for item in items:
        if (item.kind, item.record, item.reference) not in kept:
            item.run_id = record.id
            db.session.add(item)
    record.statement_rows = len(rows)
    record.differences = len(items)
    record.matched = len(payments) + len(refunds) - sum(1 for i in items if i.kind != "missing_ours")
    record.gateway_total = sum(r.amount if r.kind == "payment" else -r.amount for r in rows)
    record.our_total = sum(p.amount for p in payments) - sum(r.amount for r, _p in refunds)
    record.fee_total = sum(r.fee if r.kind == "payment" else -r.fee for r in rows)
    record.status, record.finished_at = "done", utcnow()
    emit("reconciliation.done", {"run_id": record.id, "gateway": gateway, "day": day.isoformat(),
                                 "gateway_total": record.gateway_total, "our_total": record.our_total,
                                 "fee_total": record.fee_total,
                                 "currency": rows[0].currency if rows else current_store().currency})
    return record


def _match_payments(rows: list[StatementRow], payments: list[Payment]) -> list[ReconciliationItem]:
    by_number = {p.number: p for p in payments}
    by_trade = {p.gateway_trade_no: p for p in payments if p.gateway_trade_no}
    seen, out = set(), []
    for row in (r for r in rows if r.kind == "payment"):
        ours = by_number.get(row.reference) or by_trade.get(row.trade_no)
        if ours is None and _paid_on_another_day(row):
            continue
        if ours is None or ours.id in seen:     # unknown, or a second row for one payment (taken twice)
            out.append(ReconciliationItem(kind="missing_ours", record="payment", reference=row.reference or row.trade_no,
                                          trade_no=row.trade_no, gateway_amount=row.amount, currency=row.currency,
                                          payment_id=_payment_id(row)))
            continue
        seen.add(ours.id)
        if ours.amount != row.amount:
            out.append(ReconciliationItem(kind="amount_mismatch", record="payment", reference=ours.number,
                                          trade_no=row.trade_no, our_amount=ours.amount, gateway_amount=row.amount,
                                          currency=ours.currency, payment_id=ours.id))
    for p in payments:
        if p.id not in seen:
            out.append(ReconciliationItem(kind="missing_gateway", record="payment", reference=p.number,
                                          trade_no=p.gateway_trade_no, our_amount=p.amount, currency=p.currency,
                                          payment_id=p.id))
    return out


def _paid_on_another_day(row: StatementRow) -> bool:
    """A row for a payment we hold as paid with the same amount, filed on a neighbouring day by our
    clock (paid at 23:59:58, heard of at 00:00:03): not a difference."""
    found = db.session.scalar(select(Payment).where(
        (Payment.number == row.reference) if row.reference else (Payment.gateway_trade_no == row.trade_no)))
    return (found is not None and found.paid_at is not None and found.amount == row.amount
            and found.status in ("succeeded", "partially_refunded", "refunded"))


def _payment_id(row: StatementRow) -> int | None:
    """A trade we hold but not as paid that day (a success we never heard of) still links to its payment."""
    found = db.session.scalar(select(Payment.id).where(
        (Payment.number == row.reference) | (Payment.gateway_trade_no == row.trade_no)).limit(1))
    return found


def _match_refunds(rows: list[StatementRow], refunds: list[tuple[Refund, Payment]]) -> list[ReconciliationItem]:
    by_request = {r.request_id: (r, p) for r, p in refunds}
    by_no = {r.gateway_refund_no: (r, p) for r, p in refunds if r.gateway_refund_no}
    seen, out = set(), []
    for row in (r for r in rows if r.kind == "refund"):
        # a gateway refund number is only a fallback where the statement names no request id
        pair = by_request.get(row.reference) or (by_no.get(row.trade_no) if not row.reference else None)
        if pair is None or pair[0].id in seen:
            out.append(ReconciliationItem(kind="missing_ours", record="refund", reference=row.reference or row.trade_no,
                                          trade_no=row.trade_no, gateway_amount=row.amount, currency=row.currency))
            continue
        ours, payment = pair
        seen.add(ours.id)
        if ours.amount != row.amount:
            out.append(ReconciliationItem(kind="amount_mismatch", record="refund", reference=ours.request_id,
                                          trade_no=row.trade_no, our_amount=ours.amount, gateway_amount=row.amount,
                                          currency=payment.currency, payment_id=payment.id))
    for ours, payment in refunds:
        if ours.id not in seen:
            out.append(ReconciliationItem(kind="missing_gateway", record="refund", reference=ours.request_id,
                                          trade_no=ours.gateway_refund_no, our_amount=ours.amount,
                                          currency=payment.currency, payment_id=payment.id))
    return out


def resolve(actor, item: ReconciliationItem, note: str) -> ReconciliationItem:
    """Staff close a difference with a note saying what was done about it."""
    note = (note or "").strip()
    if not note:
        raise DomainError(_("Say how this difference was settled."), field="note")
    if item.resolved_at is not None:
        raise DomainError(_("This difference is already resolved."))
    item.resolved_at, item.resolved_by, item.note = utcnow(), getattr(actor, "email", None) or "system", note[:2000]
    audit.record(actor, "payments.reconciliation_resolved", item, {"note": [None, item.note]},
                 label=f"{item.kind} {item.reference}")
    return item
