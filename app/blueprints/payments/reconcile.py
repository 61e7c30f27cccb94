"""Reconciliation (对账): a gateway's daily statement against our payments and refunds.

Payments are matched by our number (else the gateway's trade number), refunds by request id
(else the gateway's refund number). Each difference is filed for review: missing on our side,
missing on the gateway's side, or amounts that differ. Running a day again recomputes it and
keeps what staff already resolved.
"""
from __future__ import annotations

from datetime import date

from flask_babel import gettext as _, lazy_gettext as _l
from sqlalchemy import delete, select

from app.blueprints.payments import accounts
from app.blueprints.payments.gateways import GatewayError, StatementRow, day_bounds
from app.blueprints.payments.models import Payment, ReconciliationItem, ReconciliationRun, Refund
from app.core import audit
from app.core.db import utcnow
from app.core.errors import DomainError
from app.core.tenancy import current_store
from app.extensions import db

KIND_LABELS = {"missing_ours": _l("Missing on our side"), "missing_gateway": _l("Missing at the gateway"),
               "amount_mismatch": _l("Amounts differ")}


def run_due(day: date) -> int:
    """Reconcile `day` for every enabled gateway not yet done for it. Returns differences found."""
    found = 0
    for name in accounts.enabled_gateways():
        done = db.session.scalar(select(ReconciliationRun).where(
            ReconciliationRun.gateway == name, ReconciliationRun.day == day, ReconciliationRun.status == "done"))
        if done is None:
            found += run(name, day).differences
    return found


def _ours(gateway: str, day: date) -> tuple[list[Payment], list[tuple[Refund, Payment]]]:
    start, end = day_bounds(current_store(), day)
    payments = db.session.scalars(select(Payment).where(
        Payment.gateway == gateway, Payment.paid_at >= start, Payment.paid_at < end)).all()
    refunds = db.session.execute(select(Refund, Payment).join(Payment, Payment.id == Refund.payment_id).where(
        Payment.gateway == gateway, Refund.status == "succeeded", Refund.finished_at >= start,
        Refund.finished_at < end)).all()
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
        record.status, record.error, record.finished_at = "failed", str(err)[:2000], utcnow()
        return record
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
    record.status, record.finished_at = "done", utcnow()
    return record


def _match_payments(rows: list[StatementRow], payments: list[Payment]) -> list[ReconciliationItem]:
    by_number = {p.number: p for p in payments}
    by_trade = {p.gateway_trade_no: p for p in payments if p.gateway_trade_no}
    seen, out = set(), []
    for row in (r for r in rows if r.kind == "payment"):
        ours = by_number.get(row.reference) or by_trade.get(row.trade_no)
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
        pair = by_request.get(row.reference) or by_no.get(row.trade_no)
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
