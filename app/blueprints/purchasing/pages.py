"""The supplier-invoice and supplier-payment detail pages, one shape for the store's pages and
the supplier portal (`portal=True`: the portal's layout and links, none of the store's actions)."""
from __future__ import annotations

from flask import render_template
from flask_babel import lazy_gettext as _l

from app.blueprints.purchasing import orders, payables, queries

INVOICE_LABELS = {"unpaid": _l("Unpaid"), "partially_paid": _l("Partly paid"), "paid": _l("Paid"),
                  "disputed": _l("Disputed")}
LAYOUTS = {False: "layouts/store.html", True: "layouts/portal.html"}


def overdue(invoice) -> bool:
    """Matched, still owed and past its due date (the store's today)."""
    return bool(invoice.payable and invoice.due_on is not None and invoice.due_on < orders.today_in_store())


def invoice_page(invoice, *, portal: bool, status: int = 200, **context):
    """An invoice with its three-way match findings, due date and the payments against it."""
    return render_template("purchasing/invoice.html", invoice=invoice, labels=INVOICE_LABELS, layout=LAYOUTS[portal],
                           portal=portal, payments=queries.invoice_payments(invoice.id),
                           match_labels=payables.MATCH_LABELS, method_labels=payables.METHOD_LABELS,
                           findings=[payables.finding_text(item, invoice.currency)
                                     for item in invoice.match_findings or []],
                           overdue=overdue(invoice), **context), status


def payment_page(payment, *, portal: bool):
    """A payment to a supplier with the invoices it paid."""
    return render_template("purchasing/payment.html", payment=payment, layout=LAYOUTS[portal], portal=portal,
                           method_labels=payables.METHOD_LABELS)
