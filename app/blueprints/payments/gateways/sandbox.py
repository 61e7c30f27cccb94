"""The sandbox gateway: Houtai's own test gateway for development and demos.

Its protocol is that of the real ones in small: the shop sends the payer to a hosted page;
the gateway keeps its own books (`sandbox_trades`), posts form notifications signed with
HMAC-SHA256 over the sorted fields (``sign`` field, hex) and retries them on Alipay's schedule
(4 m, 10 m, 10 m, 1 h, 2 h, 6 h, 15 h; compressed to seconds by SANDBOX_NOTIFY_SCHEDULE) until
the shop answers the plain text ``success``. It answers queries and refunds at once and serves
a daily statement as CSV. Like Alipay's standard rate it keeps a 0.6 % fee on each payment
(rounded to the fen) and gives the same share of a refunded amount back.
"""
from __future__ import annotations

import csv
import hashlib
import hmac
import io
from datetime import date, datetime

from flask import current_app, url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.blueprints.payments.gateways import BadNotification, Checkout, Gateway, Notice, StatementRow, day_bounds
from app.extensions import db

NAME = "sandbox"
PAYMENT_STATUS = {"TRADE_SUCCESS": "succeeded", "TRADE_FAILED": "failed", "TRADE_CLOSED": "closed"}
STATEMENT_COLUMNS = ["kind", "reference", "trade_no", "amount", "currency", "status", "happened_at", "fee"]
FEE_PER_MILLE = 6


def fee_of(amount: int) -> int:
    """The sandbox's fee on an amount: 0.6 %, half a fen rounded up."""
    return (amount * FEE_PER_MILLE + 500) // 1000


def secret(store_id: int) -> str:
    """Per-store signing secret, derived from the app secret (real gateways: per merchant)."""
    return hmac.new(current_app.config["SECRET_KEY"].encode(), f"sandbox:{store_id}".encode(), hashlib.sha256).hexdigest()


def sign(fields: dict, key: str) -> str:
    payload = "&".join(f"{k}={fields[k]}" for k in sorted(fields) if k != "sign" and fields[k] not in (None, ""))
    return hmac.new(key.encode(), payload.encode(), hashlib.sha256).hexdigest()


def verify(fields: dict, key: str) -> bool:
    return hmac.compare_digest(sign(fields, key).encode(), str(fields.get("sign", "")).encode())


def _when(text: str | None) -> datetime | None:
    try:
        when = datetime.fromisoformat(text) if text else None
    except ValueError:
        return None
    return when if when is None or when.tzinfo else None


def notice_fields(trade, store_id: int) -> dict:
    """The signed form the gateway posts for one of its trades."""
    if trade.kind == "payment":
        fields = {"notify_type": "trade_status_sync", "out_trade_no": trade.reference, "trade_no": trade.trade_no,
                  "total_amount": str(trade.amount), "currency": trade.currency, "trade_status": trade.status,
                  "gmt_payment": trade.happened_at.isoformat()}
    else:
        fields = {"notify_type": "refund_status_sync", "out_request_no": trade.reference,
                  "refund_no": trade.trade_no, "refund_amount": str(trade.amount), "currency": trade.currency,
                  "refund_status": trade.status, "gmt_refund": trade.happened_at.isoformat()}
    fields["notify_id"] = f"{trade.id}-{trade.notify_attempts}"
    fields["sign"] = sign(fields, secret(store_id))
    return fields


def payer_chose(payment, paid: bool) -> None:
    """The payer's choice on the hosted page: the gateway books the trade and notifies the shop
    after the commit. A trade already paid is not taken twice."""
    from app.blueprints.payments.models import SandboxTrade

    if db.session.scalar(select(SandboxTrade.id).where(SandboxTrade.kind == "payment", SandboxTrade.reference ==
                                                       payment.number, SandboxTrade.status == "TRADE_SUCCESS")):
        return
    trade = SandboxTrade(kind="payment", reference=payment.number, trade_no=f"SBX{payment.id:012d}",
                         amount=payment.amount, currency=payment.currency,
                         status="TRADE_SUCCESS" if paid else "TRADE_FAILED")
    _book(trade)


def _book(trade) -> None:
    """Keep the trade in the gateway's books and notify the shop once the transaction commits."""
    from app.blueprints.payments import jobs
    from app.core.jobs import after_commit, enqueue
    from app.core.tenancy import current_store

    db.session.add(trade)
    db.session.flush()
    trade_id, store_id = trade.id, current_store().id
    after_commit(lambda: enqueue(jobs.deliver_sandbox_notice, trade_id, store_id=store_id))


def statement_csv(day: date) -> str:
    """The gateway's statement for a day (store time): every trade that moved money."""
    from app.blueprints.payments.models import SandboxTrade
    from app.core.tenancy import current_store

    start, end = day_bounds(current_store(), day)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(STATEMENT_COLUMNS)
    rows = db.session.scalars(select(SandboxTrade).where(
        SandboxTrade.happened_at >= start, SandboxTrade.happened_at < end,
        SandboxTrade.status.in_(("TRADE_SUCCESS", "REFUND_SUCCESS"))).order_by(SandboxTrade.id))
    for t in rows:
        writer.writerow([t.kind, t.reference, t.trade_no, t.amount, t.currency, t.status, t.happened_at.isoformat(),
                         fee_of(t.amount)])
    return out.getvalue()


class Sandbox(Gateway):
    name = NAME
    label = _l("Sandbox (test gateway, no money moves)")
    short_label = _l("Sandbox")
    fields = []

    def checkout(self, payment, order, return_url, notify_url) -> Checkout:
        return Checkout(redirect_url=url_for("sandbox_gateway.sandbox_pay", slug=self.store.slug, number=payment.number))

    def parse_notification(self, body, form, headers) -> list[Notice]:
        if not verify(form, secret(self.store.id)):
            raise BadNotification("bad signature")
        try:
            if form.get("notify_type") == "refund_status_sync":
                return [Notice("refund", form["out_request_no"], "succeeded" if form.get("refund_status") ==
                               "REFUND_SUCCESS" else "failed", int(form["refund_amount"]), form.get("currency"),
                               form.get("refund_no"), form.get("refund_status", ""), _when(form.get("gmt_refund")))]
            return [Notice("payment", form["out_trade_no"], PAYMENT_STATUS.get(form.get("trade_status"), "unknown"),
                           int(form["total_amount"]), form.get("currency"), form.get("trade_no"),
                           form.get("trade_status", ""), _when(form.get("gmt_payment")))]
        except (KeyError, ValueError) as err:
            raise BadNotification(f"missing or bad field: {err}") from err

    def query(self, payment) -> Notice | None:
        from app.blueprints.payments.models import SandboxTrade

        trade = db.session.scalar(select(SandboxTrade).where(SandboxTrade.kind == "payment",
                                                             SandboxTrade.reference == payment.number)
                                  .order_by(SandboxTrade.id.desc()).limit(1))
        if trade is None:
            return None
        return Notice("payment", trade.reference, PAYMENT_STATUS.get(trade.status, "unknown"), trade.amount,
                      trade.currency, trade.trade_no, trade.status, trade.happened_at)

    def refund(self, payment, refund) -> Notice:
        """Answered at once, like Alipay's refund API; a notification follows as well."""
        from app.blueprints.payments.models import SandboxTrade

        trade = SandboxTrade(kind="refund", reference=refund.request_id, trade_no=f"SBR{refund.id:012d}",
                             amount=refund.amount, currency=payment.currency, status="REFUND_SUCCESS")
        _book(trade)
        return Notice("refund", refund.request_id, "succeeded", refund.amount, payment.currency, trade.trade_no,
                      trade.status, trade.happened_at)

    def refund_query(self, payment, refund) -> Notice | None:
        from app.blueprints.payments.models import SandboxTrade

        trade = db.session.scalar(select(SandboxTrade).where(SandboxTrade.kind == "refund",
                                                             SandboxTrade.reference == refund.request_id))
        if trade is None:
            return None
        return Notice("refund", refund.request_id, "succeeded", trade.amount, trade.currency, trade.trade_no,
                      trade.status, trade.happened_at)

    def statement(self, day: date) -> list[StatementRow]:
        rows = csv.DictReader(io.StringIO(statement_csv(day)))
        return [StatementRow(r["kind"], r["reference"], r["trade_no"], int(r["amount"]), r["currency"],
                             int(r.get("fee") or 0)) for r in rows]
