"""Invoice operations: a shopper asks for an invoice on a paid order of theirs (once per order),
staff record the issued invoice (number, date, PDF) or an e-invoice provider issues it. The
caller commits."""
from __future__ import annotations

import re
from datetime import date

from flask_babel import gettext as _, lazy_gettext as _l, lazy_pgettext as _lp
from sqlalchemy import select

from app.blueprints.invoices import providers
from app.blueprints.invoices.models import KINDS, InvoiceRequest
from app.blueprints.orders import queries as order_queries
from app.core import audit
from app.core.db import utcnow
from app.core.errors import DomainError
from app.core.outbox import emit
from app.extensions import db

KIND_LABELS = {"personal": _l("Personal"), "company": _l("Company")}
STATUS_LABELS = {"requested": _lp("invoice status", "Requested"), "issued": _lp("invoice status", "Issued")}
INVOICEABLE = ("paid", "allocated", "partially_shipped", "shipped", "delivered", "completed")
MAX_PDF_BYTES = 5 * 1024 * 1024
# 统一社会信用代码 (GB 32100-2015): 18 characters of this alphabet, the last one a check character
_USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_OLD_TAX_NUMBER = re.compile(r"^[0-9A-Z]{15}$|^[0-9A-Z]{17}$|^[0-9A-Z]{20}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def valid_tax_number(value: str) -> bool:
    """A taxpayer number: the 18-character unified social credit code with its check character,
    or an older 15-, 17- or 20-character number."""
    if len(value) == 18:
        if any(c not in _USCC_CHARS for c in value):
            return False
        total = sum(_USCC_CHARS.index(c) * w for c, w in zip(value[:17], _USCC_WEIGHTS))
        return _USCC_CHARS[(31 - total % 31) % 31] == value[17]
    return bool(_OLD_TAX_NUMBER.match(value))


def for_order(order_id: int) -> InvoiceRequest | None:
    return db.session.scalar(select(InvoiceRequest).where(InvoiceRequest.order_id == order_id))


def request_invoice(actor, shopper_id: int, order_number: str, kind: str, title: str, tax_number: str = "",
                    email: str = "") -> InvoiceRequest:
    """A shopper's invoice request on one of their paid orders (another shopper's order is
    refused like a missing one), once per order: personal, or a company with its taxpayer number."""
    order = order_queries.for_aftersales(number=(order_number or "").strip())
    if order is None or order.shopper_id != shopper_id:
        raise DomainError(_("No such order."), field="order")
    if order.status not in INVOICEABLE:
        raise DomainError(_("An invoice can be asked for once the order is paid."), field="order")
    if for_order(order.id) is not None:
        raise DomainError(_("This order has an invoice request already."), field="order")
    if kind not in KINDS:
        raise DomainError(_("Choose a personal or a company invoice."), field="kind")
    title, email = (title or "").strip(), (email or "").strip()
    tax_number = re.sub(r"\s", "", tax_number or "").upper()
    if not title or len(title) > 100:
        raise DomainError(_("Give the invoice title (the name on the invoice) in up to 100 characters."),
                          field="title")
    if kind == "company" and not valid_tax_number(tax_number):
        raise DomainError(_("Give the company's taxpayer number: the 18-character unified social credit code."),
                          field="tax_number")
    if kind == "personal":
        tax_number = ""
    if email and (len(email) > 254 or not _EMAIL.match(email)):
        raise DomainError(_("Give a valid email address, or none."), field="email")
    row = InvoiceRequest(order_id=order.id, order_number=order.number, shopper_id=shopper_id, kind=kind, title=title,
                         tax_number=tax_number, email=email, amount=order.payable, currency=order.currency,
                         status="requested")
    db.session.add(row)
    db.session.flush()
    emit("invoice.requested", {"invoice_request_id": row.id, "order_id": order.id, "order_number": order.number,
                               "kind": kind, "amount": row.amount, "currency": row.currency})
    return row


def record_issued(actor, row: InvoiceRequest, number: str, issued_on: date | None, pdf: bytes,
                  provider: str = "") -> InvoiceRequest:
    """The invoice the tax system issued for the request: its number, date and PDF (checked to
    be a PDF of at most 5 MB). Once: an issued invoice is not replaced."""
    from app.core.storage import get_storage

    if row.status == "issued":
        raise DomainError(_("An invoice was issued for this order already."))
    number = (number or "").strip().upper()
    if not re.fullmatch(r"[0-9A-Z-]{8,40}", number):
        raise DomainError(_("Give the invoice number: 8 to 40 digits or letters."), field="invoice_number")
    if issued_on is None or issued_on > utcnow().date():
        raise DomainError(_("Give the date the invoice was issued (not in the future)."), field="issued_on")
    if not pdf or not pdf.startswith(b"%PDF-") or len(pdf) > MAX_PDF_BYTES:
        raise DomainError(_("Attach the invoice as a PDF of at most 5 MB."), field="pdf")
    if db.session.scalar(select(InvoiceRequest.id).where(InvoiceRequest.invoice_number == number)):
        raise DomainError(_("Invoice number %(number)s is recorded for another order.", number=number),
                          field="invoice_number")
    row.file_key = get_storage().save("invoices", pdf, ".pdf")
    row.invoice_number, row.issued_on, row.status, row.provider = number, issued_on, "issued", provider
    row.issued_by, row.issued_at = getattr(actor, "email", None) or provider or "system", utcnow()
    audit.record(actor, "invoices.issued", None, label=row.order_number, changes={"invoice_number": [None, number]})
    emit("invoice.issued", {"invoice_request_id": row.id, "order_id": row.order_id, "order_number": row.order_number,
                            "invoice_number": number, "issued_on": issued_on.isoformat(), "amount": row.amount,
                            "currency": row.currency, "kind": row.kind, "tax_number": row.tax_number})
    return row


def issue_with(actor, row: InvoiceRequest, provider_name: str) -> InvoiceRequest:
    """Have an e-invoice provider issue the invoice, then record it as staff would."""
    provider = providers.get(provider_name)
    if provider is None:
        raise DomainError(_("That e-invoice provider is not set up."), field="provider")
    if row.status == "issued":
        raise DomainError(_("An invoice was issued for this order already."))
    order = order_queries.for_aftersales(row.order_id)
    ask = providers.InvoiceAsk(reference=f"IR{row.id:08d}", kind=row.kind, title=row.title,
                               tax_number=row.tax_number, email=row.email, amount=row.amount, currency=row.currency, order_number=row.order_number,
                               lines=tuple((l.title, l.quantity, l.total) for l in order.lines))
    try:
        issued = provider.issue(ask)
    except providers.ProviderError as err:
        raise DomainError(_("The e-invoice provider issued nothing: %(error)s", error=str(err)), field="provider")
    return record_issued(actor, row, issued.number, issued.issued_on, issued.pdf, provider=provider_name)


def shopper_request(shopper_id: int, order_number: str) -> InvoiceRequest | None:
    """The shopper's own request on an order; another shopper's is None, like a missing one."""
    return db.session.scalar(select(InvoiceRequest).where(InvoiceRequest.order_number == order_number,
                                                          InvoiceRequest.shopper_id == shopper_id))
