"""The supplier portal: one sign-in for every store a supplier serves.

/supplier/                      the stores it serves (the store switcher), applying to another store
/supplier/register              a new supplier signs up (its first account is its admin)
/supplier/users                 the admin manages the supplier's users and their roles
/supplier/stores/<slug>/...     its business with one store: POs to confirm, shipping notices with box
                                labels, receipts and returns, invoices, its scorecard

Every /supplier/stores/<slug>/ request is checked once (before the view): a signed-in supplier
account linked to that store, whose record there is not archived; anything else is a 404, so a
store a supplier does not serve looks like one that does not exist. Each view then reads only
rows of that supplier.
"""
from __future__ import annotations

from functools import wraps

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.blueprints.platform import queries as platform
from app.blueprints.purchasing import (forms, orders, pages, payables, portal_bp, portal_store_bp, queries, scorecard,
                                       services)
from app.blueprints.purchasing.models import (Asn, PurchaseOrder, SupplierApplication, SupplierInvoice, SupplierPayment,
                                              SupplierReturn)
from app.core import tasks
from app.core.formview import commit, commit_form
from app.core.htmx import redirect_to
from app.core.listview import Column, Filter, ListView
from app.core.permissions import public, supplier_user
from app.core.task_pages import task_pages
from app.extensions import db

# what each supplier role may do in a store (the admin does everything)
ROLE_CAN = {"sales": {"confirm", "invoice"}, "warehouse": {"ship"}}
OPEN_ENDPOINTS = {"portal_store.apply"}        # a store one does not serve yet: apply to it


def role_can(action: str) -> bool:
    return current_user.role == "admin" or action in ROLE_CAN.get(current_user.role, set())


def needs_role(action: str):
    def decorate(fn):
        @wraps(fn)
        def wrapper(*args, **kwargs):
            if not role_can(action):
                abort(403)
            return fn(*args, **kwargs)

        wrapper.permission = getattr(fn, "permission", None)
        return wrapper

    return decorate


@portal_store_bp.before_request
def _check_access():
    """A signed-in supplier that serves this store; its record here goes to g.supplier."""
    from app.extensions import login_manager

    if not current_user.is_authenticated or getattr(current_user, "realm", None) != "supplier":
        return login_manager.unauthorized()
    g.portal_stores = platform.supplier_stores(current_user.supplier_id)
    if request.endpoint in OPEN_ENDPOINTS:
        return None
    if not any(store_id == g.store.id for store_id, *_rest in g.portal_stores):
        abort(404)
    supplier = queries.supplier_of_account(current_user.supplier_id)
    if supplier is None:
        abort(404)
    g.supplier = supplier


# --- the portal's home, sign-up and users --------------------------------------------------------

@portal_bp.route("/")
@supplier_user
def home():
    return _home_page()


def _home_page(apply_form=None, status: int = 200):
    stores = platform.supplier_stores(current_user.supplier_id)
    return render_template("purchasing/portal_home.html", stores=stores, portal_stores=stores,
                           apply_form=apply_form or forms.ApplyToForm(formdata=None)), status


@portal_bp.route("/apply", methods=["POST"])
@supplier_user
def apply_to():
    """Go to a store's application page by its address (slug) given in the invitation or by the store."""
    form = forms.ApplyToForm()
    if form.validate_on_submit():
        return redirect(url_for("portal_store.apply", slug=form.slug.data), code=303)
    return _home_page(form, 422)


@portal_bp.route("/register", methods=["GET", "POST"])
@public
def register():
    from flask_login import login_user

    from app.blueprints.platform import services as platform_services

    if current_user.is_authenticated and getattr(current_user, "realm", None) == "supplier":
        return redirect(url_for("portal.home"))
    form = forms.RegisterForm()
    if form.validate_on_submit() and (done := commit_form(form, lambda: platform_services.register_supplier(
            form.email.data, form.name.data, form.company.data, form.password.data))):
        login_user(done.result)
        flash(_("Welcome. Apply to a store that invited you, or one open to applications."), "success")
        return redirect(url_for("portal.home"), code=303)
    status = 422 if request.method == "POST" else 200
    return render_template("purchasing/portal_register.html", form=form), status


@portal_bp.route("/users", methods=["GET", "POST"])
@supplier_user
def users():
    from app.blueprints.platform import services as platform_services

    if current_user.role != "admin":
        abort(403)
    form = forms.SupplierUserForm()
    if form.validate_on_submit() and commit_form(form, lambda: platform_services.add_supplier_user(
            current_user, form.email.data, form.name.data, form.role.data, form.password.data)):
        flash(_("User added."), "success")
        return redirect_to(url_for("portal.users"))
    status = 422 if request.method == "POST" else 200
    return render_template("purchasing/portal_users.html", form=form, users=platform.supplier_users(current_user.supplier_id),
                           roles=forms.ROLE_LABELS, portal_stores=platform.supplier_stores(current_user.supplier_id)), status


@portal_bp.route("/users/<int:id>", methods=["POST"])
@supplier_user
def user_edit(id):
    from app.blueprints.platform import services as platform_services

    form = forms.SupplierUserEditForm()
    outcome = commit(lambda: platform_services.set_supplier_user(current_user, id, form.role.data, form.active.data))
    if outcome:
        flash(_("Saved."), "success")
    else:
        flash(outcome.error.message, "error")
    return redirect_to(url_for("portal.users"))


# --- one store -----------------------------------------------------------------------------------------

@portal_store_bp.route("/")
@supplier_user
def store_home():
    return render_template("purchasing/portal_store.html", summary=queries.portal_summary(g.supplier.id),
                           score=scorecard.latest(g.supplier.id), pct=_pct)


def _pct(bp):
    return "—" if bp is None else f"{bp / 100:.1f} %"


@portal_store_bp.route("/apply", methods=["GET", "POST"])
@supplier_user
def apply():
    served = any(store_id == g.store.id for store_id, *_rest in g.portal_stores)
    latest = db.session.scalar(select(SupplierApplication).where(
        SupplierApplication.account_id == current_user.supplier_id).order_by(SupplierApplication.id.desc()).limit(1))
    allowed = services.may_apply(current_user.email) or (latest is not None)
    if not allowed and not served:
        abort(404)          # neither invited nor open: the store does not show itself
    form = forms.ApplicationForm()
    if request.method == "GET" and latest is None:
        form.company.data, form.contact_email.data = current_user.company, current_user.email
    if request.method == "POST" and current_user.role != "admin":
        abort(403)
    if form.validate_on_submit():
        files = [(f.filename, f.read()) for f in request.files.getlist("files") if f and f.filename]
        done = commit_form(form, lambda: services.apply(
            current_user, company=form.company.data, credit_code=form.credit_code.data,
            contact_name=form.contact_name.data, contact_email=form.contact_email.data,
            contact_phone=form.contact_phone.data, bank_name=form.bank_name.data,
            bank_account=form.bank_account.data, bank_holder=form.bank_holder.data,
            categories=form.categories.data or "", files=files))
        if done:
            flash(_("Your application was sent to %(store)s.", store=g.store.name), "success")
            return redirect(url_for("portal_store.apply"), code=303)
    status = 422 if request.method == "POST" else 200
    return render_template("purchasing/portal_apply.html", form=form, latest=latest, served=served,
                           labels={"pending": _("Waiting for the store's decision"), "approved": _("Approved"),
                                   "rejected": _("Rejected")}), status


# --- the portal's lists and their background exports ---------------------------------------------

class PortalList(ListView):
    """A portal list: the supplier's own rows of this store. A big export runs as a task in the
    store's schema that only this supplier account follows (the portal's job pages below)."""
    realm = "supplier"
    job_endpoint = "portal_store.job_detail"

    def export_owner(self) -> str:
        return f"supplier:{current_user.supplier_id}"

    def bind_export_owner(self, owner: str) -> None:
        kind, _sep, account_id = owner.partition(":")
        supplier = queries.supplier_of_account(int(account_id)) if kind == "supplier" and account_id.isdigit() else None
        if supplier is None:                     # the account no longer serves this store: export nothing
            raise LookupError(f"no supplier of this store for {owner!r}")
        g.supplier = supplier


def _own_task(id: int):
    """One of this supplier account's tasks in this store (anyone else's answers 404)."""
    task = db.session.get(tasks.Task, id)
    if task is None or (task.params or {}).get("owner") != f"supplier:{current_user.supplier_id}":
        abort(404)
    return task


task_pages(portal_store_bp, find=_own_task, guard=supplier_user, layout="layouts/portal.html")


# --- purchase orders ---------------------------------------------------------------------------------------

class PortalOrderList(PortalList):
    title = _l("Purchase orders")
    model = PurchaseOrder
    search_fields = [PurchaseOrder.number]
    search_placeholder = _l("PO number")
    default_sort = "-created_at"
    export_name = "purchase_orders"
    columns = [
        Column("number", _l("PO number"), sort=PurchaseOrder.number,
               link=lambda o: url_for("portal_store.order", id=o.id)),
        Column("status", _l("Status"), sort=PurchaseOrder.status, value=lambda o: orders.STATUS_LABELS[o.status],
               badge=True),
        Column("total", _l("Total (tax included)"), sort=PurchaseOrder.total, kind="money"),
        Column("expected_date", _l("Wanted by"), sort=PurchaseOrder.expected_date),
        Column("sent_at", _l("Sent"), sort=PurchaseOrder.sent_at, kind="datetime"),
        Column("created_at", _l("Created"), sort=PurchaseOrder.created_at, kind="datetime", export=False),
    ]
    filters = [Filter("status", _l("Status"), lambda q, v: q.where(PurchaseOrder.status == v),
                      choices=lambda: [(k, str(orders.STATUS_LABELS[k])) for k in orders.SUPPLIER_VISIBLE])]

    def query(self):
        return select(PurchaseOrder).where(PurchaseOrder.supplier_id == g.supplier.id,
                                           PurchaseOrder.status.in_(orders.SUPPLIER_VISIBLE))


PortalOrderList.register(portal_store_bp, "/orders", "orders")


def _order(id: int, lock: bool = False) -> PurchaseOrder:
    stmt = select(PurchaseOrder).where(PurchaseOrder.id == id, PurchaseOrder.supplier_id == g.supplier.id,
                                       PurchaseOrder.status.in_(orders.SUPPLIER_VISIBLE)) \
        .options(selectinload(PurchaseOrder.lines))
    if lock:
        stmt = stmt.with_for_update(of=PurchaseOrder).execution_options(populate_existing=True)
    po = db.session.scalar(stmt)
    if po is None:
        abort(404)
    return po


def _render_order(po: PurchaseOrder, status: int = 200, form=None):
    if form is None:
        form = forms.ConfirmForm(formdata=None)
        when = po.expected_date or orders.today_in_store()
        forms.fill_grid(form.lines, [{"line_id": line.id, "answer": "confirm", "quantity": line.quantity, "date": when}
                                     for line in po.lines if line.status == "open"])
    return render_template("purchasing/portal_order.html", po=po, labels=orders.STATUS_LABELS,
                           line_labels=orders.LINE_STATUS_LABELS, titles=queries.sku_titles([l.sku_id for l in po.lines]),
                           timeline=[e for e in orders.MACHINE.history(po)], form=form,
                           grid=forms.grid_entries(form.lines), can_confirm=role_can("confirm")), status


@portal_store_bp.route("/orders/<int:id>")
@supplier_user
def order(id):
    return _render_order(_order(id))


@portal_store_bp.route("/orders/<int:id>/print")
@supplier_user
def order_print(id):
    po = _order(id)
    return render_template("purchasing/order_print.html", po=po, titles=queries.sku_titles([l.sku_id for l in po.lines]),
                           warehouse=queries.warehouse_names().get(po.warehouse_id, ""), layout="layouts/portal.html")


@portal_store_bp.route("/orders/<int:id>/confirm", methods=["POST"])
@supplier_user
@needs_role("confirm")
def order_confirm(id):
    po = _order(id, lock=True)
    form = forms.ConfirmForm()
    if form.validate_on_submit():
        answers = form.answers()
        if not answers:
            form.form_errors.append(_("Answer at least one line: confirm it or reject it."))
        else:
            outcome = commit(lambda: orders.confirm_lines(current_user, po, answers))
            if outcome:
                flash(_("Your answer was sent to %(store)s.", store=g.store.name), "success")
                return redirect_to(url_for("portal_store.order", id=id))
            forms.grid_error(form, form.lines, outcome.error)
    return _render_order(_order(id), 422, form)


# --- shipping notices ------------------------------------------------------------------------------------

class PortalAsnList(PortalList):
    title = _l("Shipping notices")
    model = Asn
    search_fields = [Asn.number, Asn.waybill]
    default_sort = "-created_at"
    export_name = "shipping_notices"
    create_endpoint, create_label = "portal_store.asn_new", _l("Announce a shipment")
    columns = [
        Column("number", _l("Notice"), sort=Asn.number, link=lambda a: url_for("portal_store.asn", id=a.id)),
        Column("status", _l("Status"), sort=Asn.status, value=lambda a: orders.ASN_STATUS_LABELS[a.status], badge=True),
        Column("ship_date", _l("Ship date"), sort=Asn.ship_date),
        Column("carrier", _l("Carrier")),
        Column("waybill", _l("Waybill number")),
        Column("boxes", _l("Boxes"), kind="number"),
        Column("received_at", _l("Received"), sort=Asn.received_at, kind="datetime"),
    ]
    filters = [Filter("status", _l("Status"), lambda q, v: q.where(Asn.status == v),
                      choices=lambda: [(k, str(v)) for k, v in orders.ASN_STATUS_LABELS.items()])]

    def query(self):
        return select(Asn).where(Asn.supplier_id == g.supplier.id, Asn.by_store.is_(False))


PortalAsnList.register(portal_store_bp, "/asns", "asns")


class PortalReceiptList(PortalAsnList):
    title = _l("Receipts")
    export_name = "receipts"
    create_endpoint = None
    columns = [
        Column("number", _l("Notice"), sort=Asn.number, link=lambda a: url_for("portal_store.asn", id=a.id)),
        Column("ship_date", _l("Ship date"), sort=Asn.ship_date),
        Column("received_at", _l("Received"), sort=Asn.received_at, kind="datetime"),
        Column("accepted", _l("Accepted"), value=lambda a: sum(l.received for l in a.lines), kind="number"),
        Column("rejected", _l("Rejected at the quality check"), value=lambda a: sum(l.rejected for l in a.lines),
               kind="number"),
        Column("on_time", _l("On time"), value=lambda a: "" if a.on_time is None else (_("Yes") if a.on_time else _("No"))),
    ]
    filters = []

    def query(self):
        return select(Asn).where(Asn.supplier_id == g.supplier.id, Asn.status == "received") \
            .options(selectinload(Asn.lines))


PortalReceiptList.register(portal_store_bp, "/receipts", "receipts")


@portal_store_bp.route("/asns/new", methods=["GET", "POST"])
@supplier_user
@needs_role("ship")
def asn_new():
    form = forms.AsnForm()
    lines = queries.shippable_lines(g.supplier.id)
    if request.method == "GET":
        form.ship_date.data = orders.today_in_store()
        forms.fill_grid(form.lines, [{"line_id": line.id, "quantity": None} for line in lines])
    if form.validate_on_submit():
        outcome = commit(lambda: orders.create_asn(current_user, g.supplier.id, form.quantities(), form.ship_date.data,
                                                   form.carrier.data, form.waybill.data, form.boxes.data))
        if outcome:
            flash(_("Notice %(number)s announced.", number=outcome.result.number), "success")
            return redirect_to(url_for("portal_store.asn", id=outcome.result.id))
        forms.grid_error(form, form.lines, outcome.error)
        lines = queries.shippable_lines(g.supplier.id)
    status = 422 if request.method == "POST" else 200
    return render_template("purchasing/portal_asn_new.html", form=form, lines=lines, grid=forms.grid_entries(form.lines),
                           shippable=orders.shippable, titles=queries.sku_titles([l.sku_id for l in lines])), status


def _asn(id: int) -> Asn:
    asn = db.session.scalar(select(Asn).where(Asn.id == id, Asn.supplier_id == g.supplier.id))
    if asn is None:
        abort(404)
    return asn


@portal_store_bp.route("/asns/<int:id>")
@supplier_user
def asn(id):
    a = _asn(id)
    return render_template("purchasing/portal_asn.html", asn=a, labels=orders.ASN_STATUS_LABELS,
                           titles=queries.sku_titles([l.sku_id for l in a.lines]),
                           warehouse=queries.warehouse_names().get(a.warehouse_id, ""))


@portal_store_bp.route("/asns/<int:id>/labels")
@supplier_user
def asn_labels(id):
    from app.blueprints.purchasing.views import render_labels

    return render_labels(_asn(id))


# --- returns, invoices, scorecard ------------------------------------------------------------------------

class PortalReturnList(PortalList):
    title = _l("Returns and debit notes")
    model = SupplierReturn
    default_sort = "-created_at"
    export_name = "debit_notes"
    columns = [
        Column("number", _l("Debit note"), sort=SupplierReturn.number,
               link=lambda r: url_for("portal_store.debit_note", id=r.id)),
        Column("order", _l("PO number"), value=lambda r: r.order.number),
        Column("reason", _l("Reason")),
        Column("amount", _l("Amount (tax included)"), sort=SupplierReturn.amount, kind="money"),
        Column("created_at", _l("Date"), sort=SupplierReturn.created_at, kind="datetime"),
    ]

    def query(self):
        return select(SupplierReturn).where(SupplierReturn.supplier_id == g.supplier.id)


PortalReturnList.register(portal_store_bp, "/returns", "returns")


def _own(model, id: int):
    """One of this supplier's documents in the store; another supplier's answers 404 like a missing one."""
    row = db.session.scalar(select(model).where(model.id == id, model.supplier_id == g.supplier.id)) \
        if 0 < id < 2 ** 62 else None
    if row is None:
        abort(404)
    return row


@portal_store_bp.route("/returns/<int:id>")
@supplier_user
def debit_note(id):
    return render_template("purchasing/debit_note.html", debit=_own(SupplierReturn, id), layout="layouts/portal.html")


class PortalInvoiceList(PortalList):
    title = _l("Invoices")
    model = SupplierInvoice
    search_fields = [SupplierInvoice.number]
    default_sort = "-invoice_date"
    export_name = "invoices"
    columns = [
        Column("number", _l("Invoice number"), sort=SupplierInvoice.number,
               link=lambda i: url_for("portal_store.invoice", id=i.id)),
        Column("order", _l("PO number"), value=lambda i: i.order.number),
        Column("invoice_date", _l("Invoice date"), sort=SupplierInvoice.invoice_date),
        Column("total", _l("Total (tax included)"), sort=SupplierInvoice.total, kind="money"),
        Column("match_status", _l("Three-way match"), sort=SupplierInvoice.match_status,
               value=lambda i: payables.MATCH_LABELS[i.match_status], badge=True),
        Column("due_on", _l("Due on"), sort=SupplierInvoice.due_on, value=lambda i: i.due_on or "—"),
        Column("paid_amount", _l("Paid"), sort=SupplierInvoice.paid_amount, kind="money"),
        Column("status", _l("Payment"), sort=SupplierInvoice.status, value=lambda i: pages.INVOICE_LABELS[i.status],
               badge=True),
    ]
    filters = [Filter("status", _l("Payment"), lambda q, v: q.where(SupplierInvoice.status == v),
                      choices=lambda: [(k, str(v)) for k, v in pages.INVOICE_LABELS.items()])]

    def query(self):
        return select(SupplierInvoice).where(SupplierInvoice.supplier_id == g.supplier.id)


PortalInvoiceList.register(portal_store_bp, "/invoices", "invoices")


@portal_store_bp.route("/invoices/<int:id>")
@supplier_user
def invoice(id):
    return pages.invoice_page(_own(SupplierInvoice, id), portal=True)


class PortalPaymentList(PortalList):
    """What the store paid this supplier."""
    title = _l("Payments received")
    model = SupplierPayment
    search_fields = [SupplierPayment.number, SupplierPayment.reference]
    default_sort = "-paid_on"
    export_name = "payments"
    columns = [
        Column("number", _l("Payment number"), sort=SupplierPayment.number,
               link=lambda p: url_for("portal_store.payment", id=p.id)),
        Column("paid_on", _l("Date paid"), sort=SupplierPayment.paid_on),
        Column("amount", _l("Amount paid"), sort=SupplierPayment.amount, kind="money"),
        Column("method", _l("Payment method"), value=lambda p: payables.METHOD_LABELS[p.method]),
        Column("reference", _l("Bank reference")),
    ]

    def query(self):
        return select(SupplierPayment).where(SupplierPayment.supplier_id == g.supplier.id)


PortalPaymentList.register(portal_store_bp, "/payments", "payments")


@portal_store_bp.route("/payments/<int:id>")
@supplier_user
def payment(id):
    return pages.payment_page(_own(SupplierPayment, id), portal=True)


@portal_store_bp.route("/orders/<int:id>/invoice", methods=["GET", "POST"])
@supplier_user
@needs_role("invoice")
def invoice_new(id):
    po = _order(id, lock=request.method == "POST")
    form = forms.InvoiceForm()
    if request.method == "GET":
        forms.fill_grid(form.lines, forms.invoice_rows(po))
    if form.validate_on_submit():
        upload = request.files.get("file")
        outcome = commit(lambda: orders.enter_invoice(
            current_user, po, form.number.data, form.invoice_date.data, form.quantities(),
            (upload.filename, upload.read()) if upload and upload.filename else None, source="portal",
            prices=form.prices()))
        if outcome:
            flash(_("Invoice sent to %(store)s.", store=g.store.name), "success")
            return redirect_to(url_for("portal_store.invoices"))
        forms.grid_error(form, form.lines, outcome.error)
        po = _order(id)
    status = 422 if request.method == "POST" else 200
    return render_template("purchasing/portal_invoice_new.html", form=form, po=po,
                           titles=queries.sku_titles([l.sku_id for l in po.lines])), status


@portal_store_bp.route("/scorecard")
@supplier_user
def scorecard_page():
    from app.blueprints.purchasing.models import SupplierScore

    history = db.session.scalars(select(SupplierScore).where(SupplierScore.supplier_id == g.supplier.id)
                                 .order_by(SupplierScore.computed_at.desc()).limit(30)).all()
    return render_template("purchasing/portal_scorecard.html", history=history, pct=_pct)
