"""Payables to suppliers (应付账款): the three-way match of a supplier invoice against its
purchase order (the price) and the receipts (the quantity), the due date from the supplier's
payment terms, and the payments staff record.

    an invoice line matches when
      its unit price ≤ the PO line's price × (100 + price tolerance) / 100        (billing less is fine)
      the PO line's billed quantity ≤ (received − returned) × (100 + quantity tolerance) / 100
    matched          every line matches: due on the invoice date + the supplier's payment terms
    pending          only quantities are ahead of the receipts and goods are still expected: matched
                     again at each receipt
    exception        a price above the tolerance, or billed beyond what arrived with nothing more
                     expected; staff may accept it with a reason (then it is due like a matched one)

A payment pays matched invoices of one supplier: each allocation is one conditional UPDATE of
the invoice's paid amount (never above its total) plus its allocation row. Matching emits
``purchasing.invoice_matched``, a payment ``purchasing.payment_recorded`` (finance posts from them).
"""
from __future__ import annotations

import uuid
from datetime import date, timedelta

from flask_babel import gettext as _, lazy_gettext as _l
from sqlalchemy import case, select, update

from app.blueprints.purchasing.models import (PAYMENT_METHODS, PurchaseOrder, PurchaseOrderLine, Supplier,
                                              SupplierInvoice, SupplierPayment, SupplierPaymentAllocation)
from app.blueprints.purchasing.services import settings
from app.core import audit
from app.core.db import utcnow
from app.core.errors import DomainError, IllegalTransition, NotFound
from app.core.outbox import emit
from app.extensions import db

MATCH_LABELS = {"pending": _l("Waiting for the goods"), "matched": _l("Matched"), "exception": _l("Match exception"),
                "accepted": _l("Exception accepted")}
METHOD_LABELS = {"bank_transfer": _l("Bank transfer"), "cash": _l("Cash"), "other": _l("Other")}
PAYABLE = ("matched", "accepted")


def finding_text(finding: dict, currency: str = "CNY") -> str:
    """One line of why an invoice does not match, in words."""
    from app.core.money import format_money

    if finding["kind"] == "price":
        return _("%(sku)s: billed at %(invoiced)s, the order's price is %(ordered)s (%(tolerance)d %% allowed above).",
                 sku=finding["sku_code"], invoiced=format_money(finding["invoiced"], currency),
                 ordered=format_money(finding["ordered"], currency), tolerance=finding["tolerance"])
    return _("%(sku)s: %(billed)d billed in all, %(received)d received and kept (%(tolerance)d %% allowed above).",
             sku=finding["sku_code"], billed=finding["billed"], received=finding["received"],
             tolerance=finding["tolerance"])


def findings_of(invoice: SupplierInvoice, lines: dict[int, PurchaseOrderLine]) -> tuple[list[dict], bool]:
    """What does not match on this invoice, and whether only quantities still to arrive are short."""
    row = settings()
    findings, waiting = [], True
    for item in invoice.lines:
        line = lines.get(item["po_line_id"])
        if line is None:
            continue
        price = item["unit_price"]
        if price * 100 > line.unit_price * (100 + row.price_tolerance_pct):
            findings.append({"kind": "price", "sku_code": line.sku_code, "invoiced": price, "ordered": line.unit_price,
                             "tolerance": row.price_tolerance_pct})
            waiting = False
        kept = line.received - line.returned
        if line.billed * 100 > kept * (100 + row.quantity_tolerance_pct):
            findings.append({"kind": "quantity", "sku_code": line.sku_code, "billed": line.billed, "received": kept,
                             "tolerance": row.quantity_tolerance_pct})
            waiting = waiting and line.open_quantity > 0
    return findings, bool(findings) and waiting


def match(actor, invoice: SupplierInvoice) -> SupplierInvoice:
    """Match an invoice that is not matched yet (entered, or waiting for goods, or an exception
    whose receipts changed). Becoming matched sets the due date and emits the event, once."""
    if invoice.match_status in PAYABLE:
        return invoice
    po = invoice.order
    findings, waiting = findings_of(invoice, {line.id: line for line in po.lines})
    invoice.match_findings = findings
    if not findings:
        _payable(invoice, "matched")
    else:
        invoice.match_status = "pending" if waiting else "exception"
    return invoice


def _payable(invoice: SupplierInvoice, status: str) -> None:
    invoice.match_status, invoice.matched_at = status, utcnow()
    invoice.due_on = invoice.invoice_date + timedelta(days=invoice.supplier.payment_terms_days)
    # what the receipts valued the billed goods at (the PO price): finance books the invoice's
    # difference from it as a price variance
    prices = {line.id: line.unit_price for line in invoice.order.lines}
    received_value = sum(int(item["quantity"]) * prices.get(item["po_line_id"], int(item["unit_price"]))
                         for item in invoice.lines)
    emit("purchasing.invoice_matched", {
        "invoice_id": invoice.id, "number": invoice.number, "supplier_id": invoice.supplier_id,
        "purchase_order_id": invoice.order_id, "amount": invoice.total, "tax": invoice.tax,
        "received_value": received_value, "currency": invoice.currency, "due_on": invoice.due_on.isoformat()})


def rematch_order(actor, po: PurchaseOrder) -> None:
    """Receipts of this PO changed: match its invoices that were waiting or did not match."""
    for invoice in db.session.scalars(select(SupplierInvoice).where(
            SupplierInvoice.order_id == po.id, SupplierInvoice.match_status.in_(("pending", "exception")))
            .order_by(SupplierInvoice.id)):
        match(actor, invoice)


def accept_exception(actor, invoice: SupplierInvoice, note: str) -> SupplierInvoice:
    """Staff accept an invoice that does not match (say why): it becomes due like a matched one."""
    note = (note or "").strip()
    if invoice.match_status != "exception":
        raise IllegalTransition(_("Only an invoice with a match exception can be accepted."))
    if not note:
        raise DomainError(_("Say why the difference is accepted."), field="note")
    invoice.match_note = note[:300]
    _payable(invoice, "accepted")
    audit.record(actor, "supplier_invoice.accepted", invoice, label=invoice.number)
    return invoice


def record_payment(actor, supplier_id: int, paid_on: date | None, allocations: dict[int, int],
                   method: str = "bank_transfer", reference: str = "", note: str = "") -> SupplierPayment:
    """Record money paid to a supplier: invoice id → amount paid of it (minor units). Each
    invoice must be this supplier's, matched (or accepted) and owe at least that much;
    otherwise nothing is recorded."""
    supplier = db.session.get(Supplier, supplier_id) if supplier_id else None
    if supplier is None:
        raise DomainError(_("Choose the supplier."), field="supplier_id")
    if paid_on is None:
        raise DomainError(_("Give the date paid."), field="paid_on")
    if method not in PAYMENT_METHODS:
        raise DomainError(_("Choose a payment method."), field="method")
    allocations = {invoice_id: amount for invoice_id, amount in allocations.items() if amount}
    if not allocations:
        raise DomainError(_("Give the amount paid of at least one invoice."), field="amount")
    if any(amount is None or amount < 0 for amount in allocations.values()):
        raise DomainError(_("The amount must be more than zero."), field="amount")
    invoices = {i.id: i for i in db.session.scalars(select(SupplierInvoice).where(
        SupplierInvoice.id.in_(list(allocations)), SupplierInvoice.supplier_id == supplier.id))}
    if len(invoices) != len(allocations):
        raise NotFound(_("That invoice is not one of this supplier's."))
    for invoice_id, amount in sorted(allocations.items()):      # refused before anything is written
        _check_payable(invoices[invoice_id], amount)
    payment = SupplierPayment(number=f"~{uuid.uuid4().hex[:20]}", supplier_id=supplier.id,
                              amount=sum(allocations.values()), currency=next(iter(invoices.values())).currency,
                              paid_on=paid_on, method=method, reference=(reference or "").strip()[:80],
                              note=(note or "").strip()[:300], created_by_name=getattr(actor, "email", None) or "system")
    db.session.add(payment)
    db.session.flush()
    payment.number = f"PAY-{payment.id:06d}"
    now = utcnow()
    for invoice_id, amount in sorted(allocations.items()):        # in id order: two payments never deadlock
        invoice = invoices[invoice_id]
        paid = SupplierInvoice.paid_amount + amount
        done = db.session.execute(
            update(SupplierInvoice)
            .where(SupplierInvoice.id == invoice_id, SupplierInvoice.match_status.in_(PAYABLE),
                   SupplierInvoice.paid_amount + amount <= SupplierInvoice.total)
            .values(paid_amount=paid, status=case((paid == SupplierInvoice.total, "paid"), else_="partially_paid"),
                    paid_at=case((paid == SupplierInvoice.total, now), else_=SupplierInvoice.paid_at))
            .returning(SupplierInvoice.id).execution_options(synchronize_session=False)).scalar()
        if done is None:             # paid meanwhile by someone else: the caller rolls back
            db.session.refresh(invoice)
            _check_payable(invoice, amount)
            raise DomainError(_("Invoice %(number)s changed meanwhile: look at it again.", number=invoice.number),
                              field="amount")
        db.session.add(SupplierPaymentAllocation(payment_id=payment.id, invoice_id=invoice_id, amount=amount))
    db.session.flush()
    for invoice in invoices.values():
        db.session.refresh(invoice)
    audit.record(actor, "supplier_payment.recorded", payment, label=payment.number)
    emit("purchasing.payment_recorded", {
        "payment_id": payment.id, "supplier_id": supplier.id, "amount": payment.amount, "currency": payment.currency,
        "paid_on": paid_on.isoformat(), "invoice_ids": sorted(allocations)})
    return payment


def _check_payable(invoice: SupplierInvoice, amount: int) -> None:
    if invoice.match_status not in PAYABLE:
        raise DomainError(_("Invoice %(number)s is not matched yet: match it or accept its exception first.",
                            number=invoice.number), field="amount")
    if amount > invoice.outstanding:
        raise DomainError(_("Invoice %(number)s owes only %(left)s.", number=invoice.number,
                            left=_money(invoice.outstanding, invoice.currency)), field="amount")


def pay_in_full(actor, invoice: SupplierInvoice, paid_on: date, method: str = "bank_transfer",
                reference: str = "") -> SupplierPayment:
    """One payment of what this invoice still owes."""
    if invoice.status == "paid":
        raise IllegalTransition(_("This invoice is paid already."))
    return record_payment(actor, invoice.supplier_id, paid_on, {invoice.id: invoice.outstanding}, method, reference)


def _money(amount: int, currency: str) -> str:
    from app.core.money import format_money

    return format_money(amount, currency)
