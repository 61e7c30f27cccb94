"""Shopper pages under /shop/<slug>/invoices/: ask for the invoice of one of their own orders and
download it once issued. Another shopper's order or invoice answers 404 like a missing one."""
from __future__ import annotations

from flask import abort, flash, render_template, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.blueprints.invoices import forms, services, shop_bp
from app.core.formview import commit_form
from app.core.htmx import redirect_to
from app.core.permissions import _realm_only

shopper = _realm_only("shopper", "shopper")


def _own_order(number: str):
    from app.blueprints.orders import queries as orders

    order = orders.shopper_order(current_user.id, number, timeline=False)
    if order is None:
        abort(404)
    return order


def _page(number: str, form=None, status: int = 200):
    order = _own_order(number)
    return render_template("invoices/shop_request.html", order=order,
                           row=services.shopper_request(current_user.id, number),
                           form=form or forms.RequestForm(formdata=None), kinds=services.KIND_LABELS,
                           statuses=services.STATUS_LABELS,
                           can_ask=order.status in services.INVOICEABLE), status


@shop_bp.route("/<number>", methods=["GET", "POST"])
@shopper
def order_invoice(number):
    from flask import request

    if request.method == "GET":
        return _page(number)
    _own_order(number)
    form = forms.RequestForm()
    if form.validate_on_submit() and commit_form(form, lambda: services.request_invoice(
            current_user, current_user.id, number, form.kind.data, form.title.data, form.tax_number.data or "",
            form.email.data or "")):
        flash(_("Invoice requested. You can download it here once the store has issued it."), "success")
        return redirect_to(url_for("invoices_shop.order_invoice", number=number))
    return _page(number, form, 422)


@shop_bp.route("/<number>/pdf")
@shopper
def download(number):
    from app.core.storage import get_storage

    row, storage = services.shopper_request(current_user.id, number), get_storage()
    if row is None or not row.issued or not storage.owns(row.file_key):
        abort(404)
    return send_file(storage.path(row.file_key), mimetype="application/pdf",
                     download_name=f"{row.invoice_number}.pdf", as_attachment=True, max_age=0)
