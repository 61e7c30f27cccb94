"""Staff pages: invoice requests (shared list view with filters and export) and one request,
where the issued invoice is recorded (number, date, PDF) or asked of an e-invoice provider."""
from __future__ import annotations

from flask import abort, flash, render_template, send_file, url_for
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from app.blueprints.invoices import bp, forms, providers, services
from app.blueprints.invoices.models import KINDS, STATUSES, InvoiceRequest
from app.core.formview import commit_form, perform
from app.core.htmx import redirect_to
from app.core.listview import Column, Filter, ListView
from app.core.permissions import requires
from app.extensions import db


class RequestList(ListView):
    permission = "invoices.view"
    title = _l("Invoices")
    model = InvoiceRequest
    search_fields = [InvoiceRequest.order_number, InvoiceRequest.title, InvoiceRequest.tax_number,
                     InvoiceRequest.invoice_number]
    search_placeholder = _l("Order number, title, taxpayer or invoice number")
    default_sort = "-created_at"
    export_name = "invoices"
    columns = [
        Column("order_number", _l("Order number"), sort=InvoiceRequest.order_number,
               link=lambda r: url_for("invoices.request_page", id=r.id)),
        Column("kind", _l("Type"), value=lambda r: services.KIND_LABELS[r.kind]),
        Column("title", _l("Invoice title")),
        Column("tax_number", _l("Taxpayer number")),
        Column("amount", _l("Amount"), kind="money", raw=lambda r: r.amount),
        Column("status", _l("Status"), sort=InvoiceRequest.status, value=lambda r: services.STATUS_LABELS[r.status],
               badge=True),
        Column("invoice_number", _l("Invoice number")),
        Column("issued_on", _l("Issued on"), sort=InvoiceRequest.issued_on),
        Column("created_at", _l("Requested"), sort=InvoiceRequest.created_at, kind="datetime"),
    ]
    filters = [
        Filter("status", _l("Status"), lambda q, v: q.where(InvoiceRequest.status == v),
               choices=lambda: [(k, str(services.STATUS_LABELS[k])) for k in STATUSES]),
        Filter("kind", _l("Type"), lambda q, v: q.where(InvoiceRequest.kind == v),
               choices=lambda: [(k, str(services.KIND_LABELS[k])) for k in KINDS]),
    ]


RequestList.register(bp, "/", "requests")


def _row(id: int, lock: bool = False) -> InvoiceRequest:
    stmt = select(InvoiceRequest).where(InvoiceRequest.id == id)
    row = db.session.scalar(stmt.with_for_update() if lock else stmt)
    if row is None:
        abort(404)
    return row


def _page(row: InvoiceRequest, form=None, status: int = 200):
    return render_template("invoices/request.html", row=row, form=form or forms.IssuedForm(formdata=None),
                           kinds=services.KIND_LABELS, statuses=services.STATUS_LABELS,
                           providers=providers.available()), status


@bp.route("/<int:id>")
@requires("invoices.view")
def request_page(id):
    return _page(_row(id))


@bp.route("/<int:id>/issued", methods=["POST"])
@requires("invoices.issue")
def record_issued(id):
    row = _row(id, lock=True)
    form = forms.IssuedForm()
    if form.validate_on_submit():
        upload = form.pdf.data
        pdf = upload.read(services.MAX_PDF_BYTES + 1) if upload and getattr(upload, "filename", "") else b""
        if commit_form(form, lambda: services.record_issued(current_user, row, form.invoice_number.data,
                                                            form.issued_on.data, pdf)):
            flash(_("Invoice %(number)s recorded.", number=row.invoice_number), "success")
            return redirect_to(url_for("invoices.request_page", id=id))
    return _page(_row(id), form, 422)


@bp.route("/<int:id>/provider/<name>", methods=["POST"])
@requires("invoices.issue")
def issue_with_provider(id, name):
    row = _row(id, lock=True)
    perform(lambda: services.issue_with(current_user, row, name), _("The e-invoice provider issued the invoice."))
    return redirect_to(url_for("invoices.request_page", id=id))


@bp.route("/<int:id>/pdf")
@requires("invoices.view")
def pdf(id):
    from app.core.storage import get_storage

    row, storage = _row(id), get_storage()
    if not row.file_key or not storage.owns(row.file_key):
        abort(404)
    return send_file(storage.path(row.file_key), mimetype="application/pdf",
                     download_name=f"{row.invoice_number}.pdf", as_attachment=True, max_age=0)
