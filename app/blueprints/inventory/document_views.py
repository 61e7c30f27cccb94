"""Pages for inbound orders, outbound orders, transfers and stocktakes (one set of views,
configured per document type)."""
from __future__ import annotations

from flask import abort, flash, render_template, request, url_for
from flask_babel import gettext as _, lazy_gettext as _l, lazy_pgettext as _lp
from app.core.audit import actor_label
from flask_login import current_user
from sqlalchemy import select

from app.blueprints.catalog import queries as catalog_queries
from app.blueprints.inventory import bp, documents, forms
from app.blueprints.inventory.models import StockDocument, Warehouse
from app.core.formview import commit_form, perform
from app.core.htmx import redirect_to
from app.core.listview import Column, Filter, ListView
from app.core.permissions import check, requires
from app.extensions import db

TITLES = {"inbound": _l("Inbound orders"), "outbound": _l("Outbound orders"), "transfer": _l("Transfers"),
          "stocktake": _l("Stocktakes")}
KIND_LABELS = {"purchase": _l("Purchase receipt"), "return": _l("Return receipt"), "transfer_in": _l("Transfer in"),
               "other": _l("Other"), "sales": _l("Sales shipment"), "transfer_out": _l("Transfer out"),
               "return_to_supplier": _l("Return to supplier"), "transfer": _l("Transfer"),
               "full": _l("Full count"), "category": _l("Cycle count by category"),
               "zone": _l("Cycle count by zone")}


def _list_view(doc_type: str):
    class DocumentList(ListView):
        permission = "inventory.view"
        title = TITLES[doc_type]
        model = StockDocument
        search_fields = [StockDocument.number, StockDocument.reference, StockDocument.note]
        default_sort = "-id"
        export_name = doc_type
        template = "inventory/document_list.html"
        columns = [
            Column("number", _l("Number"), sort=StockDocument.number,
                   link=lambda d: url_for("inventory.document", id=d.id)),
            Column("kind", _l("Kind"), value=lambda d: KIND_LABELS[d.kind]),
            Column("status", _l("Status"), sort=StockDocument.status,
                   value=lambda d: documents.STATUS_LABELS[d.status], badge=True),
            Column("warehouse", _l("Warehouse"), value=lambda d: d.warehouse.code + (f" → {d.to_warehouse.code}"
                                                                                   if d.to_warehouse else "")),
            Column("reference", _lp("source document", "Reference"), sort=StockDocument.reference),
            Column("created_by_name", _l("Created by"), value=lambda d: actor_label(d.created_by_name)),
            Column("created_at", _l("Created"), sort=StockDocument.created_at, kind="datetime"),
        ]
        filters = [
            Filter("status", _l("Status"), lambda q, v: q.where(StockDocument.status == v),
                   choices=lambda: [(k, str(documents.STATUS_LABELS[k])) for k in
                                    sorted({s for t in documents.MACHINES[doc_type].transitions.values() for s in t}
                                           | set(documents.MACHINES[doc_type].transitions))]),
            Filter("warehouse", _l("Warehouse"), lambda q, v: q.where(StockDocument.warehouse_id == int(v)),
                   choices=lambda: [(str(w.id), w.code) for w in db.session.scalars(select(Warehouse))]),
        ]

        def query(self):
            return select(StockDocument).where(StockDocument.doc_type == doc_type)

        def context(self, page, state):
            return {**super().context(page, state), "doc_type": doc_type}

    DocumentList.__name__ = f"{doc_type.title()}List"
    return DocumentList


for _doc_type in documents.KINDS:
    _list_view(_doc_type).register(bp, f"/{_doc_type}", _doc_type)


@bp.route("/documents/new/<doc_type>", methods=["GET", "POST"])
@requires("inventory.documents")
def document_new(doc_type):
    if doc_type not in documents.KINDS:
        abort(404)
    warehouses = db.session.scalars(select(Warehouse).where(Warehouse.active).order_by(Warehouse.priority)).all()
    form = forms.DocumentForm().for_type(doc_type, [(k, KIND_LABELS[k]) for k in documents.KINDS[doc_type]],
                                         warehouses, catalog_queries.category_choices())
    value = lambda name: form[name].data if name in form else None   # noqa: E731 - fields this type has
    if form.validate_on_submit() and (done := commit_form(form, lambda: documents.create(
            current_user, doc_type, form.kind.data, form.warehouse_id.data, value("to_warehouse_id"),
            form.reference.data or "", form.note.data or "", bool(value("blind")), value("category_id") or None))):
        return redirect_to(url_for("inventory.document", id=done.result.id))
    return render_template("inventory/document_new.html", doc_type=doc_type, title=TITLES[doc_type], form=form), \
        422 if request.method == "POST" else 200


def _document(id: int) -> StockDocument:
    """The document with its lines, their SKUs and products in two queries (a stocktake can
    have thousands of lines)."""
    from sqlalchemy.orm import joinedload, selectinload

    from app.blueprints.catalog.models import Sku
    from app.blueprints.inventory.models import StockDocumentLine

    doc = db.session.scalar(select(StockDocument).where(StockDocument.id == id).options(
        selectinload(StockDocument.lines).joinedload(StockDocumentLine.sku).joinedload(Sku.product)))
    if doc is None:
        abort(404)
    return doc


@bp.route("/documents/<int:id>")
@requires("inventory.view")
def document(id):
    return _document_page(_document(id))


def _document_page(doc: StockDocument, posted: dict | None = None, status: int = 200):
    """The document's page; `posted` holds the refused form (`line`, `counts`, `scans`, or
    `receive` with `receive_line`), shown with its input and the errors under its fields."""
    posted = posted or {}
    receiving = documents.can_receive(doc)
    counting = documents.counting(doc)
    refused_line = posted.get("receive_line")
    receive_forms = {line.id: forms.ReceiveForm.for_line(line, posted.get("receive") if line.id == refused_line else None)
                     for line in doc.lines if receiving and documents.line_receivable(line)}
    if "receive" in posted and refused_line not in receive_forms:   # its row offers no form to show it on
        form = posted["receive"]
        for message in [*form.form_errors, *(e for errors in form.errors.values() for e in errors)] or \
                [_("That line is not on this document.")]:
            flash(message, "error")
    return render_template("inventory/document.html", doc=doc, title=TITLES[doc.doc_type],
                           timeline=documents.TIMELINE.history(doc), kinds=KIND_LABELS, statuses=documents.STATUS_LABELS,
                           actions=documents.available_actions(doc), receiving=receiving, counting=counting,
                           shows_book=documents.shows_book(doc), adding_lines=documents.can_add_lines(doc),
                           line_form=posted.get("line") or forms.LineForm(formdata=None),
                           receive_forms=receive_forms,
                           counts_form=posted.get("counts") or (forms.counts_form(doc.lines, formdata=None) if counting else None),
                           scan_form=posted.get("scans") or forms.ScanForm(formdata=None)), status


@bp.route("/documents/<int:id>/pick-list")
@requires("inventory.view")
def pick_list(id):
    doc = _document(id)
    if doc.doc_type not in ("outbound", "transfer"):
        abort(404)
    return render_template("inventory/pick_list.html", doc=doc, rows=documents.pick_list(doc))


ACTIONS = {
    "start_picking": documents.start_picking, "pack": documents.pack, "ship": documents.ship,
    "complete": documents.complete_inbound, "dispatch": documents.dispatch_transfer,
    "receive_transfer": documents.receive_transfer, "submit": documents.submit_count,
    "approve": documents.approve_count, "reopen": documents.reopen_count, "cancel": documents.cancel,
}


def _document_form(doc: StockDocument, action: str):
    """One of the page's forms: through and back to the page, or the page again with its errors."""
    if action == "line":
        form = forms.LineForm()
        run = lambda: documents.add_line(current_user, doc, form.sku_code.data, form.quantity.data,  # noqa: E731
                                         form.location.data or "")
        message, posted = (lambda _r: _("Line added.")), {"line": form}
    elif action == "receive":
        form = forms.ReceiveForm()
        line_id = int(form.line_id.data) if (form.line_id.data or "").isdigit() else 0
        run = lambda: documents.receive_line(current_user, doc, line_id, form.quantity.data,  # noqa: E731
                                             form.location.data or "")
        message, posted = (lambda _r: _("Received.")), {"receive": form, "receive_line": line_id}
    elif action == "counts":
        form = forms.counts_form(doc.lines)
        run = lambda: documents.record_counts(current_user, doc, form.counts())  # noqa: E731
        message, posted = (lambda n: _("%(n)d counts saved.", n=n)), {"counts": form}
    else:
        form = forms.ScanForm()
        run = lambda: documents.record_scans(current_user, doc, form.rows(), form.replace.data)  # noqa: E731
        message, posted = _scanned, {"scans": form}
    if form.validate_on_submit() and (outcome := commit_form(form, run)):
        flash(message(outcome.result), "success")
        return redirect_to(url_for("inventory.document", id=doc.id))
    return _document_page(doc, posted, 422)


def _scanned(result) -> str:
    if result.rejected:
        flash(_("Not counted: %(lines)s.", lines="; ".join(result.rejected[:20])), "error")
    return _("Counts recorded for %(n)d SKUs.", n=result.skus)


@bp.route("/documents/<int:id>/<action>", methods=["POST"])
@requires("inventory.documents")
def document_action(id, action):
    doc = _document(id)
    back = url_for("inventory.document", id=id)
    if action == "approve":
        check("inventory.adjust")  # approving a count changes book stock
    if action in ACTIONS:
        perform(lambda: ACTIONS[action](current_user, doc),
                lambda d: _("%(number)s: %(status)s.", number=d.number, status=documents.STATUS_LABELS[d.status]))
    elif action in ("line", "receive", "counts", "scans"):
        return _document_form(doc, action)
    else:
        abort(404)
    return redirect_to(back)
