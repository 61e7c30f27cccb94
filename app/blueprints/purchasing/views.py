"""Purchasing pages of the store back office: dashboard, suppliers, applications, supplier
SKUs, suggestions, purchase orders, shipping notices (receiving), supplier invoices, settings."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import any_, select
from sqlalchemy.orm import selectinload

from app.blueprints.purchasing import bp, forms, orders, pages, payables, queries, replenishment, scorecard, services
from app.blueprints.purchasing.models import (Asn, PurchaseOrder, Suggestion, Supplier, SupplierApplication,
                                              SupplierDocument, SupplierInvoice, SupplierNote, SupplierPayment,
                                              SupplierReturn, SupplierSku)
from app.core.charts import bar_chart
from app.core.formview import FormView, commit, commit_form, perform
from app.core.htmx import redirect_to
from app.core.listview import BulkAction, Column, Filter, ListView, detail_url
from app.core.money import currency_name, format_money, to_major
from app.core.permissions import can, check, requires
from app.core.tenancy import current_store
from app.extensions import db

APPLICATION_LABELS = {"pending": _l("Waiting for a decision"), "approved": _l("Approved"), "rejected": _l("Rejected")}
INVOICE_LABELS = pages.INVOICE_LABELS
SUGGESTION_LABELS = {"open": _l("Open"), "ordered": _l("Ordered"), "dismissed": _l("Dismissed")}
TRIGGER_LABELS = {"nightly": _l("Nightly run"), "stock_low": _l("Low stock"), "manual": _l("Recomputed by hand")}


def pct(bp: int | None) -> str:
    return "—" if bp is None else f"{bp / 100:.1f} %"


def _get(model, id):
    obj = db.session.get(model, id)
    if obj is None:
        abort(404)
    return obj


# --- dashboard ---------------------------------------------------------------------------------

@bp.route("/")
@requires("purchasing.view")
def dashboard():
    figures = queries.dashboard()
    currency = current_store().currency or "CNY"          # (a PO is in the store's currency)
    chart = bar_chart([(m, int(to_major(total, currency))) for m, total in figures["month_totals"]],
                      _("Spend per month (%(currency)s)", currency=currency_name(currency)))
    return render_template("purchasing/dashboard.html", figures=figures, chart=chart, labels=orders.STATUS_LABELS)


# --- suppliers -----------------------------------------------------------------------------------

class SupplierList(ListView):
    permission = "purchasing.view"
    title = _l("Suppliers")
    model = Supplier
    search_fields = [Supplier.code, Supplier.name, Supplier.credit_code]
    search_placeholder = _l("Code, name or credit code")
    default_sort = "code"
    export_name = "suppliers"
    create_endpoint, create_label, create_permission = "purchasing.supplier_new", _l("Add a supplier"), "purchasing.suppliers"
    columns = [
        Column("code", _l("Code"), sort=Supplier.code, link=detail_url("purchasing.supplier")),
        Column("name", _l("Name"), sort=Supplier.name),
        Column("status", _l("Status"), sort=Supplier.status, value=lambda s: forms.STATUS_LABELS[s.status], badge=True),
        Column("rating", _l("Rating"), sort=Supplier.rating, kind="number"),
        Column("categories", _l("Categories supplied"), value=lambda s: ", ".join(s.categories or [])),
        Column("lead_time_days", _l("Lead time (days)"), sort=Supplier.lead_time_days, kind="number"),
        Column("portal", _l("Portal account"), value=lambda s: _("Yes") if s.account_id else _("No")),
        Column("created_at", _l("Added"), sort=Supplier.created_at, kind="datetime"),
    ]
    filters = [
        Filter("status", _l("Status"), lambda q, v: q.where(Supplier.status == v),
               choices=lambda: [(k, str(v)) for k, v in forms.STATUS_LABELS.items()]),
        Filter("category", _l("Category"), lambda q, v: q.where(v == any_(Supplier.categories))),
        Filter("rating", _l("Rating at least"), lambda q, v: q.where(Supplier.rating >= v),
               choices=[(str(i), str(i)) for i in range(1, 6)], parse=int),
    ]


SupplierList.register(bp, "/suppliers", "suppliers")


def _supplier_values(form) -> dict:
    return dict(code=form.code.data, name=form.name.data, credit_code=form.credit_code.data, status=form.status.data,
                rating=form.rating.data or 0, categories=form.categories.data or "", email=form.email.data or "",
                phone=form.phone.data, address=form.address.data, bank_name=form.bank_name.data,
                bank_account=form.bank_account.data, bank_holder=form.bank_holder.data,
                lead_time_days=form.lead_time_days.data, payment_terms_days=form.payment_terms_days.data)


class SupplierEdit(FormView):
    permission = "purchasing.suppliers"
    form_class = forms.SupplierForm
    title = _l("Supplier")

    def get_object(self, id=None):
        return _get(Supplier, id) if id else None

    def make_form(self, obj):
        form = forms.SupplierForm(obj=obj)
        if obj is not None and request.method == "GET":
            form.categories.data = ", ".join(obj.categories or [])
        return form

    def save(self, form, obj):
        return services.save_supplier(current_user, obj, **_supplier_values(form))

    def success_url(self, result):
        return url_for("purchasing.supplier", id=result.id)


SupplierEdit.register(bp, "/suppliers/new", "supplier_new")
SupplierEdit.register(bp, "/suppliers/<int:id>/edit", "supplier_edit")


def _render_supplier(supplier: Supplier, status: int = 200, **overrides):
    documents = db.session.scalars(select(SupplierDocument).where(SupplierDocument.supplier_id == supplier.id)
                                   .order_by(SupplierDocument.id)).all()
    notes = db.session.scalars(select(SupplierNote).where(SupplierNote.supplier_id == supplier.id)
                               .order_by(SupplierNote.id.desc())).all()
    skus = db.session.scalars(select(SupplierSku).where(SupplierSku.supplier_id == supplier.id)
                              .order_by(SupplierSku.id)).all()
    context = {"contact_form": forms.ContactForm(formdata=None), "document_form": forms.DocumentForm(formdata=None),
               "note_form": forms.NoteForm(formdata=None), **overrides}
    return render_template("purchasing/supplier.html", supplier=supplier, documents=documents, notes=notes, skus=skus,
                           titles=queries.sku_titles([s.sku_id for s in skus]), score=scorecard.latest(supplier.id),
                           statuses=forms.STATUS_LABELS, kinds=forms.DOCUMENT_LABELS, pct=pct, **context), status


@bp.route("/suppliers/<int:id>")
@requires("purchasing.view")
def supplier(id):
    return _render_supplier(_get(Supplier, id))


@bp.route("/suppliers/<int:id>/contacts", methods=["POST"])
@requires("purchasing.suppliers")
def supplier_contact(id):
    s = _get(Supplier, id)
    form = forms.ContactForm()
    if form.validate_on_submit() and commit_form(form, lambda: services.add_contact(
            current_user, s, form.name.data, form.title.data, form.phone.data, form.email.data or "")):
        flash(_("Contact added."), "success")
        return redirect_to(url_for("purchasing.supplier", id=id))
    return _render_supplier(s, 422, contact_form=form)


@bp.route("/suppliers/<int:id>/contacts/remove", methods=["POST"])
@requires("purchasing.suppliers")
def supplier_contact_remove(id):
    s = _get(Supplier, id)
    try:
        contact_id = int(request.form.get("contact_id", ""))
    except ValueError:
        abort(404)
    perform(lambda: services.remove_contact(current_user, s, contact_id), _("Contact removed."))
    return redirect_to(url_for("purchasing.supplier", id=id))


@bp.route("/suppliers/<int:id>/documents", methods=["POST"])
@requires("purchasing.suppliers")
def supplier_document(id):
    s = _get(Supplier, id)
    form = forms.DocumentForm()
    upload = request.files.get("file")
    if form.validate_on_submit() and commit_form(form, lambda: services.add_document(
            current_user, s, form.kind.data, upload.filename if upload else "", upload.read() if upload else b"",
            form.expires_on.data)):
        flash(_("Document added."), "success")
        return redirect_to(url_for("purchasing.supplier", id=id))
    return _render_supplier(s, 422, document_form=form)


@bp.route("/suppliers/<int:id>/notes", methods=["POST"])
@requires("purchasing.suppliers")
def supplier_note(id):
    s = _get(Supplier, id)
    form = forms.NoteForm()
    if form.validate_on_submit() and commit_form(form, lambda: services.add_note(current_user, s, form.body.data)):
        flash(_("Note added."), "success")
        return redirect_to(url_for("purchasing.supplier", id=id))
    return _render_supplier(s, 422, note_form=form)


def _send_key(key: str, filename: str):
    from app.core.storage import get_storage

    try:
        path = get_storage().path(key)
    except FileNotFoundError:
        abort(404)
    if not path.exists():
        abort(404)
    return send_file(path, download_name=filename, as_attachment=True)


@bp.route("/supplier-documents/<int:id>")
@requires("purchasing.view")
def supplier_document_file(id):
    document = _get(SupplierDocument, id)
    return _send_key(document.key, document.filename)


# --- applications ----------------------------------------------------------------------------------

class ApplicationList(ListView):
    permission = "purchasing.suppliers"
    title = _l("Supplier applications")
    model = SupplierApplication
    search_fields = [SupplierApplication.company, SupplierApplication.credit_code, SupplierApplication.contact_email]
    default_sort = "-created_at"
    export_name = "supplier_applications"
    template = "purchasing/application_list.html"
    columns = [
        Column("company", _l("Company"), sort=SupplierApplication.company, link=detail_url("purchasing.application")),
        Column("credit_code", _l("Unified social credit code")),
        Column("status", _l("Status"), sort=SupplierApplication.status,
               value=lambda a: APPLICATION_LABELS[a.status], badge=True),
        Column("contact_email", _l("Contact email")),
        Column("created_at", _l("Applied"), sort=SupplierApplication.created_at, kind="datetime"),
    ]
    filters = [Filter("status", _l("Status"), lambda q, v: q.where(SupplierApplication.status == v),
                      choices=lambda: [(k, str(v)) for k, v in APPLICATION_LABELS.items()])]

    def context(self, page, state):
        return {**super().context(page, state), "invite_form": forms.InviteForm(formdata=None),
                "open": services.settings().open_to_applications}


ApplicationList.register(bp, "/applications", "applications")


@bp.route("/applications/invite", methods=["POST"])
@requires("purchasing.suppliers")
def invite():
    from app.core.mail import queue_mail

    form = forms.InviteForm()

    def run():
        invitation = services.invite(current_user, form.email.data)
        link = url_for("portal_store.apply", _external=True)
        queue_mail(invitation.email, _("%(store)s invites you to supply it", store=current_user_store_name()),
                   _("%(store)s invites you to apply as a supplier. Sign in to the supplier portal (or create your "
                     "company's account there) and apply here:\n%(link)s", store=current_user_store_name(), link=link))
        return invitation

    if form.validate_on_submit() and commit_form(form, run):
        flash(_("Invitation sent to %(email)s.", email=form.email.data), "success")
    else:
        flash(_("Give a valid email address."), "error")
    return redirect_to(url_for("purchasing.applications"))


def current_user_store_name() -> str:
    return current_store().name


def _render_application(application: SupplierApplication, status: int = 200, **overrides):
    context = {"approve_form": forms.ApproveForm(formdata=None), "reject_form": forms.ReasonForm(formdata=None),
               **overrides}
    return render_template("purchasing/application.html", application=application, labels=APPLICATION_LABELS,
                           **context), status


@bp.route("/applications/<int:id>")
@requires("purchasing.suppliers")
def application(id):
    return _render_application(_get(SupplierApplication, id))


@bp.route("/applications/<int:id>/files/<int:n>")
@requires("purchasing.suppliers")
def application_file(id, n):
    application = _get(SupplierApplication, id)
    if not 0 <= n < len(application.files):
        abort(404)
    item = application.files[n]
    return _send_key(item["key"], item["filename"])


@bp.route("/applications/<int:id>/approve", methods=["POST"])
@requires("purchasing.suppliers")
def application_approve(id):
    application = _get(SupplierApplication, id)
    form = forms.ApproveForm()
    if form.validate_on_submit() and (done := commit_form(
            form, lambda: services.approve_application(current_user, application, form.code.data))):
        flash(_("%(name)s supplies the store now.", name=done.result.name), "success")
        return redirect_to(url_for("purchasing.supplier", id=done.result.id))
    return _render_application(_get(SupplierApplication, id), 422, approve_form=form)


@bp.route("/applications/<int:id>/reject", methods=["POST"])
@requires("purchasing.suppliers")
def application_reject(id):
    application = _get(SupplierApplication, id)
    form = forms.ReasonForm()
    if form.validate_on_submit() and commit_form(
            form, lambda: services.reject_application(current_user, application, form.reason.data)):
        flash(_("Application rejected."), "success")
        return redirect_to(url_for("purchasing.applications"))
    return _render_application(_get(SupplierApplication, id), 422, reject_form=form)


# --- supplier SKUs ---------------------------------------------------------------------------------

class SupplierSkuList(ListView):
    permission = "purchasing.view"
    title = _l("Supplier SKUs")
    model = SupplierSku
    search_fields = [SupplierSku.supplier_code]
    default_sort = "-id"
    export_name = "supplier_skus"
    create_endpoint, create_label, create_permission = ("purchasing.supplier_sku_new", _l("Link a SKU"),
                                                        "purchasing.suppliers")
    columns = [
        Column("supplier", _l("Supplier"), value=lambda l: l.supplier.code,
               link=lambda l: url_for("purchasing.supplier_sku_edit", id=l.id)),
        Column("sku_id", _l("SKU"), value=lambda l: l.sku_id),
        Column("supplier_code", _l("Supplier's code"), sort=SupplierSku.supplier_code),
        Column("price", _l("Purchase price"), sort=SupplierSku.price, kind="money"),
        Column("moq", _l("MOQ"), sort=SupplierSku.moq, kind="number"),
        Column("pack_size", _l("Pack size"), kind="number"),
        Column("lead_time_days", _l("Lead time (days)"), sort=SupplierSku.lead_time_days, kind="number"),
        Column("preferred", _l("Preferred"), value=lambda l: _("Yes") if l.preferred else ""),
    ]
    filters = [Filter("supplier", _l("Supplier"), lambda q, v: q.where(SupplierSku.supplier_id == int(v)),
                      choices=lambda: [(str(i), n) for i, n in queries.supplier_choices(False)]),
               Filter("preferred", _l("Preferred"), lambda q, v: q.where(SupplierSku.preferred.is_(v == "1")),
                      choices=[("1", _l("Yes")), ("0", _l("No"))])]


SupplierSkuList.register(bp, "/supplier-skus", "supplier_skus")


class SupplierSkuEdit(FormView):
    permission = "purchasing.suppliers"
    form_class = forms.SupplierSkuForm
    title = _l("Supplier SKU")

    def get_object(self, id=None):
        return _get(SupplierSku, id) if id else None

    def make_form(self, obj):
        from app.blueprints.catalog import queries as catalog

        form = forms.SupplierSkuForm(obj=obj)
        form.supplier_id.choices = queries.supplier_choices()
        if obj is not None and request.method == "GET":
            snap = catalog.sku_snapshots([obj.sku_id]).get(obj.sku_id)
            form.sku_code.data = snap.code if snap else ""
        if obj is None and request.method == "GET" and request.args.get("supplier", "").isdigit():
            form.supplier_id.data = int(request.args["supplier"])
        return form

    def save(self, form, obj):
        return services.save_supplier_sku(current_user, obj, supplier_id=form.supplier_id.data,
                                          sku_code=form.sku_code.data, price=form.price.data,
                                          supplier_code=form.supplier_code.data or "", moq=form.moq.data,
                                          pack_size=form.pack_size.data, lead_time_days=form.lead_time_days.data,
                                          preferred=form.preferred.data)

    def success_url(self, result):
        return url_for("purchasing.supplier", id=result.supplier_id)


SupplierSkuEdit.register(bp, "/supplier-skus/new", "supplier_sku_new")
SupplierSkuEdit.register(bp, "/supplier-skus/<int:id>/edit", "supplier_sku_edit")


@bp.route("/supplier-skus/<int:id>/history")
@requires("purchasing.view")
def supplier_sku_history(id):
    from app.blueprints.purchasing.models import SupplierPrice

    link = _get(SupplierSku, id)
    prices = db.session.scalars(select(SupplierPrice).where(SupplierPrice.supplier_sku_id == id)
                                .order_by(SupplierPrice.at.desc(), SupplierPrice.id.desc())).all()
    return render_template("purchasing/price_history.html", link=link, prices=prices,
                           title=queries.sku_titles([link.sku_id]).get(link.sku_id, ""))


# --- suggestions -------------------------------------------------------------------------------------

def _suggestions_to_orders(ids, actor):
    made = replenishment.to_orders(actor, ids)
    return _("%(n)d draft purchase orders: %(numbers)s.", n=len(made), numbers=", ".join(po.number for po in made))


def _dismiss(ids, actor):
    return _("%(n)d suggestions dismissed.", n=replenishment.dismiss(actor, ids))


def _explain(s: Suggestion) -> str:
    n = s.numbers or {}
    return _("%(shipped)s sold in %(days)s days = %(daily)s a day × (%(lead)s lead + %(cover)s cover days) = %(demand)s, "
             "+ safety %(safety)s → target %(target)s; on hand %(on_hand)s − reserved %(reserved)s + on order "
             "%(on_order)s = %(position)s; need %(need)s → MOQ %(moq)s, packs of %(pack)s → %(quantity)s",
             shipped=n.get("shipped"), days=n.get("days"), daily=n.get("daily_sales"), lead=n.get("lead_time"),
             cover=n.get("cover_days"), demand=n.get("demand"), safety=n.get("safety_stock"), target=n.get("target"),
             on_hand=n.get("on_hand"), reserved=n.get("reserved"), on_order=n.get("on_order"),
             position=n.get("position"), need=n.get("need"), moq=n.get("moq"), pack=n.get("pack_size"),
             quantity=n.get("quantity"))


class SuggestionList(ListView):
    permission = "purchasing.view"
    title = _l("Replenishment suggestions")
    model = Suggestion
    default_sort = "-updated_at"
    export_name = "replenishment_suggestions"
    template = "purchasing/suggestion_list.html"
    columns = [
        Column("sku", _l("SKU"), value=lambda s: s.numbers.get("sku_code") or s.sku_id),
        Column("warehouse_id", _l("Warehouse"), value=lambda s: queries.warehouse_names().get(s.warehouse_id, "")),
        Column("supplier", _l("Supplier"), value=lambda s: s.supplier.code if s.supplier else ""),
        Column("quantity", _l("Suggested"), sort=Suggestion.quantity, kind="number"),
        Column("status", _l("Status"), sort=Suggestion.status, value=lambda s: SUGGESTION_LABELS[s.status], badge=True),
        Column("trigger", _l("From"), value=lambda s: TRIGGER_LABELS.get(s.trigger, s.trigger)),
        Column("explain", _l("How it was worked out"), value=_explain),
        Column("updated_at", _l("Updated"), sort=Suggestion.updated_at, kind="datetime"),
    ]
    filters = [Filter("status", _l("Status"), lambda q, v: q.where(Suggestion.status == v),
                      choices=lambda: [(k, str(v)) for k, v in SUGGESTION_LABELS.items()]),
               Filter("supplier", _l("Supplier"), lambda q, v: q.where(Suggestion.supplier_id == int(v)),
                      choices=lambda: [(str(i), n) for i, n in queries.supplier_choices(False)])]
    bulk_actions = [BulkAction("order", _l("Group into draft purchase orders"), _suggestions_to_orders,
                               permission="purchasing.orders"),
                    BulkAction("dismiss", _l("Dismiss"), _dismiss, permission="purchasing.orders")]


SuggestionList.register(bp, "/suggestions", "suggestions")


@bp.route("/suggestions/compute", methods=["POST"])
@requires("purchasing.orders")
def suggestions_compute():
    perform(lambda: replenishment.compute(trigger="manual"), lambda n: _("%(n)d suggestions are open.", n=n))
    return redirect_to(url_for("purchasing.suggestions"))


# --- purchase orders ----------------------------------------------------------------------------------

class OrderList(ListView):
    permission = "purchasing.view"
    title = _l("Purchase orders")
    model = PurchaseOrder
    search_fields = [PurchaseOrder.number]
    search_placeholder = _l("PO number")
    default_sort = "-created_at"
    export_name = "purchase_orders"
    saved_filters = True
    create_endpoint, create_label, create_permission = "purchasing.order_new", _l("New purchase order"), "purchasing.orders"
    columns = [
        Column("number", _l("PO number"), sort=PurchaseOrder.number, link=detail_url("purchasing.order")),
        Column("supplier", _l("Supplier"), value=lambda o: o.supplier.code),
        Column("status", _l("Status"), sort=PurchaseOrder.status, value=lambda o: orders.STATUS_LABELS[o.status],
               badge=True),
        Column("warehouse", _l("Warehouse"), value=lambda o: queries.warehouse_names().get(o.warehouse_id, "")),
        Column("total", _l("Total (tax included)"), sort=PurchaseOrder.total, kind="money"),
        Column("expected_date", _l("Wanted by"), sort=PurchaseOrder.expected_date),
        Column("created_at", _l("Created"), sort=PurchaseOrder.created_at, kind="datetime"),
    ]
    filters = [
        Filter("status", _l("Status"), lambda q, v: q.where(PurchaseOrder.status == v),
               choices=lambda: [(k, str(v)) for k, v in orders.STATUS_LABELS.items()]),
        Filter("supplier", _l("Supplier"), lambda q, v: q.where(PurchaseOrder.supplier_id == int(v)),
               choices=lambda: [(str(i), n) for i, n in queries.supplier_choices(False)]),
    ]


OrderList.register(bp, "/purchase-orders", "orders")


def _warehouse_choices():
    from app.blueprints.inventory import services as inventory

    return [(w.id, f"{w.code} {w.name}") for w in inventory.active_warehouses()]


class OrderCreate(FormView):
    permission = "purchasing.orders"
    form_class = forms.OrderForm
    title = _l("New purchase order")

    def make_form(self, obj):
        form = forms.OrderForm()
        form.supplier_id.choices = queries.supplier_choices()
        form.warehouse_id.choices = _warehouse_choices()
        return form

    def save(self, form, obj):
        return orders.create_order(current_user, form.supplier_id.data, form.warehouse_id.data,
                                   form.expected_date.data, form.note.data or "")

    def success_url(self, result):
        return url_for("purchasing.order", id=result.id)


OrderCreate.register(bp, "/purchase-orders/new", "order_new")


def _order(id: int, lock: bool = False) -> PurchaseOrder:
    stmt = select(PurchaseOrder).where(PurchaseOrder.id == id).options(selectinload(PurchaseOrder.lines))
    if lock:
        stmt = stmt.with_for_update(of=PurchaseOrder).execution_options(populate_existing=True)
    po = db.session.scalar(stmt)
    if po is None:
        abort(404)
    return po


def _render_order(po: PurchaseOrder, status: int = 200, **overrides):
    from app.blueprints.purchasing.models import AsnLine

    asns = db.session.scalars(select(Asn).where(Asn.id.in_(
        select(AsnLine.asn_id).where(AsnLine.po_line_id.in_([l.id for l in po.lines] or [0])))).order_by(Asn.id)).all()
    returns = db.session.scalars(select(SupplierReturn).where(SupplierReturn.order_id == po.id)
                                 .order_by(SupplierReturn.id)).all()
    invoices = db.session.scalars(select(SupplierInvoice).where(SupplierInvoice.order_id == po.id)
                                  .order_by(SupplierInvoice.id)).all()
    invoice_form = overrides.pop("invoice_form", None)
    if invoice_form is None:
        invoice_form = forms.InvoiceForm(formdata=None)
        forms.fill_grid(invoice_form.lines, forms.invoice_rows(po))
    return_form = overrides.pop("return_form", None)
    if return_form is None:
        return_form = forms.ReturnForm(formdata=None, prefix="return")
        forms.fill_grid(return_form.lines, forms.return_rows(po))
    context = {"line_form": forms.LineForm(formdata=None), "invoice_form": invoice_form, "return_form": return_form,
               **{f"{action}_form": cls(formdata=None, prefix=action) for action, cls in REASON_FORMS.items()},
               **overrides}
    return render_template("purchasing/order.html", po=po, labels=orders.STATUS_LABELS,
                           line_labels=orders.LINE_STATUS_LABELS, timeline=orders.MACHINE.history(po),
                           titles=queries.sku_titles([l.sku_id for l in po.lines]),
                           warehouse=queries.warehouse_names().get(po.warehouse_id, ""), asns=asns, returns=returns,
                           invoices=invoices, can_move=lambda t: orders.MACHINE.can(po, t),
                           needs_approval=orders.needs_approval(po), cancellable=orders.MACHINE.can(po, "cancelled"),
                           **context), status


@bp.route("/purchase-orders/<int:id>")
@requires("purchasing.view")
def order(id):
    return _render_order(_order(id))


@bp.route("/purchase-orders/<int:id>/print")
@requires("purchasing.view")
def order_print(id):
    po = _order(id)
    return render_template("purchasing/order_print.html", po=po, titles=queries.sku_titles([l.sku_id for l in po.lines]),
                           warehouse=queries.warehouse_names().get(po.warehouse_id, ""), layout="layouts/store.html")


@bp.route("/purchase-orders/<int:id>/lines", methods=["POST"])
@requires("purchasing.orders")
def order_line(id):
    po = _order(id, lock=True)
    form = forms.LineForm()
    if form.validate_on_submit() and commit_form(form, lambda: orders.add_line_by_code(
            current_user, po, form.sku_code.data, form.quantity.data, form.unit_price.data,
            forms.basis_points(form.tax_rate.data))):
        flash(_("Line added."), "success")
        return redirect_to(url_for("purchasing.order", id=id))
    return _render_order(_order(id), 422, line_form=form)


@bp.route("/purchase-orders/<int:id>/lines/remove", methods=["POST"])
@requires("purchasing.orders")
def order_line_remove(id):
    po = _order(id, lock=True)
    try:
        line_id = int(request.form.get("line_id", ""))
    except ValueError:
        abort(404)
    perform(lambda: orders.remove_line(current_user, po, line_id), _("Line removed."))
    return redirect_to(url_for("purchasing.order", id=id))


ORDER_ACTIONS = {
    "submit": ("purchasing.orders", lambda po, reason: orders.submit(current_user, po), _l("Submitted.")),
    "approve": ("purchasing.approve", lambda po, reason: orders.approve(current_user, po), _l("Approved.")),
    "draft": ("purchasing.approve", lambda po, reason: orders.return_to_draft(current_user, po, reason),
              _l("Back to draft.")),
    "send": ("purchasing.orders", lambda po, reason: orders.send(current_user, po), _l("Sent to the supplier.")),
    "cancel": ("purchasing.orders", lambda po, reason: orders.cancel(current_user, po, reason), _l("Cancelled.")),
    "close": ("purchasing.orders", lambda po, reason: orders.close(current_user, po, reason), _l("Closed.")),
    "receive": ("purchasing.receive", lambda po, reason: orders.receive_directly(current_user, po),
                _l("A receipt is ready for the warehouse.")),
}


# the actions that say why: the reason is a field, its error under it
REASON_FORMS = {"cancel": forms.ReasonForm, "draft": forms.ReasonForm, "close": forms.CloseForm}


@bp.route("/purchase-orders/<int:id>/<action>", methods=["POST"])
@requires("purchasing.view")
def order_action(id, action):
    if action not in ORDER_ACTIONS:
        abort(404)
    permission, run, message = ORDER_ACTIONS[action]
    check(permission)
    po = _order(id, lock=True)
    if action in REASON_FORMS:
        form = REASON_FORMS[action](prefix=action)
        if form.validate_on_submit() and commit_form(form, lambda: run(po, form.reason.data)):
            flash(str(message), "success")
            return redirect_to(url_for("purchasing.order", id=id))
        return _render_order(_order(id), 422, **{f"{action}_form": form})
    outcome = commit(lambda: run(po, ""))
    if not outcome:
        flash(outcome.error.message, "error")
    else:
        flash(str(message), "success")
        if action == "receive":
            return redirect_to(url_for("purchasing.asn", id=outcome.result.id))
    return redirect_to(url_for("purchasing.order", id=id))


@bp.route("/purchase-orders/<int:id>/returns", methods=["POST"])
@requires("purchasing.receive")
def order_return(id):
    po = _order(id, lock=True)
    form = forms.ReturnForm(prefix="return")
    if form.validate_on_submit():
        outcome = commit(lambda: orders.return_to_supplier(current_user, po, form.quantities(), form.reason.data))
        if outcome:
            flash(_("Debit note %(number)s; the goods left stock on outbound order %(outbound)s.",
                    number=outcome.result.number, outbound=outcome.result.outbound_number), "success")
            return redirect_to(url_for("purchasing.order", id=id))
        forms.grid_error(form, form.lines, outcome.error)
    return _render_order(_order(id), 422, return_form=form)


@bp.route("/purchase-orders/<int:id>/invoices", methods=["POST"])
@requires("purchasing.invoices")
def order_invoice(id):
    po = _order(id, lock=True)
    form = forms.InvoiceForm()
    upload = request.files.get("file")
    if form.validate_on_submit():
        outcome = commit(lambda: orders.enter_invoice(
            current_user, po, form.number.data, form.invoice_date.data, form.quantities(),
            (upload.filename, upload.read()) if upload and upload.filename else None, prices=form.prices()))
        if outcome:
            flash(_("Invoice entered."), "success")
            return redirect_to(url_for("purchasing.order", id=id))
        forms.grid_error(form, form.lines, outcome.error)
    return _render_order(_order(id), 422, invoice_form=form)


@bp.route("/debit-notes/<int:id>")
@requires("purchasing.view")
def debit_note(id):
    debit = _get(SupplierReturn, id)
    return render_template("purchasing/debit_note.html", debit=debit, layout="layouts/store.html")


# --- shipping notices and receiving ------------------------------------------------------------------

class AsnList(ListView):
    permission = "purchasing.view"
    title = _l("Shipping notices")
    model = Asn
    search_fields = [Asn.number, Asn.waybill, Asn.inbound_number]
    search_placeholder = _l("Notice, waybill or inbound number")
    default_sort = "-created_at"
    export_name = "shipping_notices"
    columns = [
        Column("number", _l("Notice"), sort=Asn.number, link=detail_url("purchasing.asn")),
        Column("supplier", _l("Supplier"), value=lambda a: a.supplier.code),
        Column("status", _l("Status"), sort=Asn.status, value=lambda a: orders.ASN_STATUS_LABELS[a.status], badge=True),
        Column("ship_date", _l("Ship date"), sort=Asn.ship_date),
        Column("carrier", _l("Carrier")),
        Column("waybill", _l("Waybill number")),
        Column("boxes", _l("Boxes"), kind="number"),
        Column("inbound_number", _l("Inbound order")),
        Column("received_at", _l("Received"), sort=Asn.received_at, kind="datetime"),
    ]
    filters = [Filter("status", _l("Status"), lambda q, v: q.where(Asn.status == v),
                      choices=lambda: [(k, str(v)) for k, v in orders.ASN_STATUS_LABELS.items()]),
               Filter("supplier", _l("Supplier"), lambda q, v: q.where(Asn.supplier_id == int(v)),
                      choices=lambda: [(str(i), n) for i, n in queries.supplier_choices(False)])]


AsnList.register(bp, "/asns", "asns")


def _render_asn(asn: Asn, status: int = 200, form=None):
    if form is None:
        form = forms.ReceiveForm(formdata=None)
        forms.fill_grid(form.lines, [{"line_id": line.id, "counted": line.quantity, "rejected": 0, "location": ""}
                                     for line in asn.lines])
    return render_template("purchasing/asn.html", asn=asn, labels=orders.ASN_STATUS_LABELS,
                           titles=queries.sku_titles([l.sku_id for l in asn.lines]),
                           warehouse=queries.warehouse_names().get(asn.warehouse_id, ""),
                           tolerance=orders.tolerance, settings=services.settings(), form=form,
                           grid=forms.grid_entries(form.lines), can_receive=can("purchasing.receive")), status


@bp.route("/asns/<int:id>")
@requires("purchasing.view")
def asn(id):
    return _render_asn(_get(Asn, id))


@bp.route("/asns/<int:id>/labels")
@requires("purchasing.view")
def asn_labels(id):
    return render_labels(_get(Asn, id))


def render_labels(asn: Asn):
    from app.core.barcodes import code128_svg

    boxes = [(n, code128_svg(f"{asn.number}-{n:03d}")) for n in range(1, asn.boxes + 1)]
    return render_template("purchasing/box_labels.html", asn=asn, boxes=boxes,
                           warehouse=queries.warehouse_names().get(asn.warehouse_id, ""))


@bp.route("/asns/<int:id>/receive", methods=["POST"])
@requires("purchasing.receive")
def asn_receive(id):
    asn = db.session.scalar(select(Asn).where(Asn.id == id).with_for_update(of=Asn)
                            .execution_options(populate_existing=True))
    if asn is None:
        abort(404)
    form = forms.ReceiveForm()
    if form.validate_on_submit():
        outcome = commit(lambda: orders.receive_asn(current_user, asn, form.counts(), form.accept_short.data))
        if outcome:
            flash(_("%(number)s received; stock is on %(inbound)s.", number=asn.number, inbound=asn.inbound_number),
                  "success")
            return redirect_to(url_for("purchasing.asn", id=id))
        forms.grid_error(form, form.lines, outcome.error)
    return _render_asn(_get(Asn, id), 422, form)


# --- supplier invoices ----------------------------------------------------------------------------------

def _due_filter(q, v):
    """payable: matched and owing; overdue: of those, past their due date."""
    q = q.where(SupplierInvoice.match_status.in_(payables.PAYABLE), SupplierInvoice.paid_amount < SupplierInvoice.total)
    return q.where(SupplierInvoice.due_on < orders.today_in_store()) if v == "overdue" else q


class InvoiceList(ListView):
    """Supplier invoices, and the payables among them (matched, owing, by due date)."""
    permission = "purchasing.view"
    title = _l("Supplier invoices")
    model = SupplierInvoice
    search_fields = [SupplierInvoice.number]
    search_placeholder = _l("Invoice number")
    default_sort = "-invoice_date"
    export_name = "supplier_invoices"
    columns = [
        Column("number", _l("Invoice number"), sort=SupplierInvoice.number, link=detail_url("purchasing.invoice")),
        Column("supplier", _l("Supplier"), value=lambda i: i.supplier.code),
        Column("order", _l("PO number"), value=lambda i: i.order.number),
        Column("invoice_date", _l("Invoice date"), sort=SupplierInvoice.invoice_date),
        Column("total", _l("Total (tax included)"), sort=SupplierInvoice.total, kind="money"),
        Column("match_status", _l("Three-way match"), sort=SupplierInvoice.match_status,
               value=lambda i: payables.MATCH_LABELS[i.match_status], badge=True),
        Column("due_on", _l("Due on"), sort=SupplierInvoice.due_on,
               value=lambda i: (f"{i.due_on} · {_('overdue')}" if pages.overdue(i) else i.due_on) if i.due_on else "—"),
        Column("outstanding", _l("Still owed"), value=lambda i: i.outstanding, kind="money"),
        Column("status", _l("Payment"), sort=SupplierInvoice.status, value=lambda i: INVOICE_LABELS[i.status],
               badge=True),
    ]
    filters = [Filter("status", _l("Payment"), lambda q, v: q.where(SupplierInvoice.status == v),
                      choices=lambda: [(k, str(v)) for k, v in INVOICE_LABELS.items()]),
               Filter("match", _l("Three-way match"), lambda q, v: q.where(SupplierInvoice.match_status == v),
                      choices=lambda: [(k, str(v)) for k, v in payables.MATCH_LABELS.items()]),
               Filter("due", _l("Payables"), _due_filter,
                      choices=lambda: [("payable", _("Due to pay")), ("overdue", _("Overdue"))]),
               Filter("supplier", _l("Supplier"), lambda q, v: q.where(SupplierInvoice.supplier_id == int(v)),
                      choices=lambda: [(str(i), n) for i, n in queries.supplier_choices(False)])]


InvoiceList.register(bp, "/supplier-invoices", "invoices")


def _render_invoice(inv: SupplierInvoice, status: int = 200, **overrides):
    payment_form = overrides.pop("payment_form", None)
    if payment_form is None:
        payment_form = forms.PaymentForm(formdata=None)
        payment_form.amount.data, payment_form.paid_on.data = inv.outstanding, orders.today_in_store()
    return pages.invoice_page(inv, portal=False, status=status, payment_form=payment_form,
                              **{"accept_form": forms.AcceptForm(formdata=None), **overrides})


@bp.route("/supplier-invoices/<int:id>")
@requires("purchasing.view")
def invoice(id):
    return _render_invoice(_get(SupplierInvoice, id))


@bp.route("/supplier-invoices/<int:id>/file")
@requires("purchasing.view")
def invoice_file(id):
    inv = _get(SupplierInvoice, id)
    if not inv.file_key:
        abort(404)
    return _send_key(inv.file_key, f"{inv.number}.pdf")


def _locked_invoice(id) -> SupplierInvoice:
    inv = db.session.scalar(select(SupplierInvoice).where(SupplierInvoice.id == id).with_for_update(of=SupplierInvoice)
                            .execution_options(populate_existing=True))
    if inv is None:
        abort(404)
    return inv


@bp.route("/supplier-invoices/<int:id>/paid", methods=["POST"])
@requires("purchasing.invoices")
def invoice_paid(id):
    inv = _get(SupplierInvoice, id)
    perform(lambda: orders.mark_invoice_paid(current_user, inv), _("Marked paid."))
    return redirect_to(url_for("purchasing.invoice", id=id))


@bp.route("/supplier-invoices/<int:id>/accept", methods=["POST"])
@requires("purchasing.invoices")
def invoice_accept(id):
    inv = _locked_invoice(id)
    form = forms.AcceptForm()
    if form.validate_on_submit() and commit_form(form, lambda: payables.accept_exception(current_user, inv,
                                                                                          form.note.data)):
        flash(_("Accepted: the invoice is due on %(date)s.", date=inv.due_on), "success")
        return redirect_to(url_for("purchasing.invoice", id=id))
    return _render_invoice(_get(SupplierInvoice, id), 422, accept_form=form)


@bp.route("/supplier-invoices/<int:id>/payments", methods=["POST"])
@requires("purchasing.invoices")
def invoice_pay(id):
    inv = _locked_invoice(id)
    form = forms.PaymentForm()
    if form.validate_on_submit() and (outcome := commit_form(form, lambda: payables.record_payment(
            current_user, inv.supplier_id, form.paid_on.data, {inv.id: form.amount.data}, form.method.data,
            form.reference.data))):
        flash(_("Payment %(number)s recorded.", number=outcome.result.number), "success")
        return redirect_to(url_for("purchasing.invoice", id=id))
    return _render_invoice(_get(SupplierInvoice, id), 422, payment_form=form)


# --- supplier payments ----------------------------------------------------------------------------------

class PaymentList(ListView):
    permission = "purchasing.view"
    title = _l("Supplier payments")
    model = SupplierPayment
    search_fields = [SupplierPayment.number, SupplierPayment.reference]
    search_placeholder = _l("Payment number or bank reference")
    default_sort = "-paid_on"
    export_name = "supplier_payments"
    columns = [
        Column("number", _l("Payment number"), sort=SupplierPayment.number, link=detail_url("purchasing.payment")),
        Column("supplier", _l("Supplier"), value=lambda p: p.supplier.code),
        Column("paid_on", _l("Date paid"), sort=SupplierPayment.paid_on),
        Column("amount", _l("Amount paid"), sort=SupplierPayment.amount, kind="money"),
        Column("method", _l("Payment method"), value=lambda p: payables.METHOD_LABELS[p.method]),
        Column("reference", _l("Bank reference")),
    ]
    filters = [Filter("supplier", _l("Supplier"), lambda q, v: q.where(SupplierPayment.supplier_id == int(v)),
                      choices=lambda: [(str(i), n) for i, n in queries.supplier_choices(False)])]


PaymentList.register(bp, "/supplier-payments", "payments")


@bp.route("/supplier-payments/<int:id>")
@requires("purchasing.view")
def payment(id):
    return pages.payment_page(_get(SupplierPayment, id), portal=False)


# --- settings -------------------------------------------------------------------------------------------

@bp.route("/settings", methods=["GET", "POST"])
@requires("purchasing.settings")
def settings():
    from decimal import Decimal

    row = services.settings()
    form = forms.SettingsForm(obj=None if request.method == "POST" else row)
    if request.method == "GET":
        form.default_tax_rate.data = Decimal(row.default_tax_rate) / 100
    if form.validate_on_submit() and commit_form(form, lambda: services.save_settings(
            current_user, open_to_applications=form.open_to_applications.data,
            approval_threshold=form.approval_threshold.data, over_tolerance_pct=form.over_tolerance_pct.data,
            under_tolerance_pct=form.under_tolerance_pct.data, velocity_days=form.velocity_days.data,
            cover_days=form.cover_days.data, default_tax_rate=forms.basis_points(form.default_tax_rate.data),
            price_tolerance_pct=form.price_tolerance_pct.data, quantity_tolerance_pct=form.quantity_tolerance_pct.data)):
        flash(_("Saved."), "success")
        return redirect_to(url_for("purchasing.settings"))
    status = 422 if request.method == "POST" else 200
    return render_template("purchasing/settings.html", form=form), status
