"""Finance pages: the journal (lines, filtered by account, source and date, each linked to its
entry and source document), an entry with its reversal, and the chart of accounts."""
from __future__ import annotations

from datetime import date

from flask import abort, redirect, render_template, url_for
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from app.blueprints.finance import bp, forms, queries, services
from app.blueprints.finance.models import Account, Entry, Line
from app.core.formview import FormView, perform
from app.core.listview import Column, Filter, ListView, detail_url
from app.core.permissions import requires
from app.extensions import db

SOURCE_LABELS = {"payment": _l("Payment"), "refund": _l("Refund"), "parcel": _l("Parcel shipped"),
                 "inbound": _l("Inbound"), "supplier_invoice": _l("Supplier invoice"),
                 "supplier_payment": _l("Supplier payment"), "card": _l("Stored-value cards sold"),
                 "gateway_fee": _l("Gateway fees"), "supplier_return": _l("Return to supplier")}
# where each kind of source document is shown (its id is the entry's source id)
SOURCE_PAGES = {"payment": ("payments.payment", "payments.view"), "parcel": ("dispatch.notice", "dispatch.view"),
                "inbound": ("inventory.document", "inventory.view"),
                "gateway_fee": ("payments.reconciliation_run", "payments.view")}


def source_link(entry: Entry) -> str | None:
    from app.core.permissions import can

    page = SOURCE_PAGES.get(entry.source_kind)
    if page is None or not entry.source_id.isdigit() or not can(page[1]):
        return None
    return url_for(page[0], id=int(entry.source_id))


def _amount(line: Line) -> int:
    return line.debit or line.credit


class JournalList(ListView):
    permission = "finance.view"
    title = _l("Journal")
    model = Line
    default_sort = "-id"
    export_name = "journal"
    empty_message = _l("Nothing is posted yet: payments, shipments, refunds and receipts post here by themselves.")
    columns = [
        Column("entry", _l("Entry"), sort=Line.entry_id, value=lambda l: l.entry.number,
               link=lambda l: url_for("finance.entry", id=l.entry_id)),
        Column("posted_on", _l("Day"), sort=Line.posted_on),
        Column("account", _l("Account"), value=lambda l: f"{l.account.code} {queries.account_name(l.account)}"),
        Column("source", _l("Source"), value=lambda l: f"{SOURCE_LABELS.get(l.entry.source_kind, l.entry.source_kind)}"
                                                        f" {l.entry.source_number}".strip()),
        Column("debit", _l("Debit"), sort=Line.debit, kind="money", currency=lambda l: l.entry.currency),
        Column("credit", _l("Credit"), sort=Line.credit, kind="money", currency=lambda l: l.entry.currency),
    ]
    filters = [
        Filter("account", _l("Account"), lambda q, v: q.where(Line.account_id == int(v)),
               choices=queries.account_choices),
        Filter("source", _l("Source"), lambda q, v: q.where(Entry.source_kind == v),
               choices=lambda: [(k, str(v)) for k, v in SOURCE_LABELS.items()]),
        Filter("since", _l("From"), lambda q, v: q.where(Line.posted_on >= v), parse=date.fromisoformat,
               placeholder="2026-01-31"),
        Filter("until", _l("To"), lambda q, v: q.where(Line.posted_on <= v), parse=date.fromisoformat,
               placeholder="2026-01-31"),
    ]

    def query(self):
        return select(Line).join(Entry, Entry.id == Line.entry_id).options(joinedload(Line.entry),
                                                                          joinedload(Line.account))


JournalList.register(bp, "/journal", "journal")


@bp.route("/entries/<int:id>")
@requires("finance.view")
def entry(id):
    row = db.session.scalar(select(Entry).where(Entry.id == id).options(joinedload(Entry.lines)
                                                                         .joinedload(Line.account)))
    if row is None:
        abort(404)
    reversal = db.session.scalar(select(Entry).where(Entry.reverses_id == row.id))
    return render_template("finance/entry.html", entry=row, reversal=reversal, source_link=source_link(row),
                           source_label=SOURCE_LABELS.get(row.source_kind, row.source_kind),
                           name=queries.account_name,
                           order_ids=sorted({l.order_id for l in row.lines if l.order_id}),
                           debit=sum(l.debit for l in row.lines), credit=sum(l.credit for l in row.lines))


@bp.route("/entries/<int:id>/reverse", methods=["POST"])
@requires("finance.post")
def reverse(id):
    row = db.get_or_404(Entry, id)
    perform(lambda: services.reverse_entry(current_user, row),
            lambda r: _("Entry %(number)s reversed by %(reversal)s.", number=row.number, reversal=r.number))
    return redirect(url_for("finance.entry", id=row.id), code=303)


class AccountList(ListView):
    permission = "finance.view"
    title = _l("Chart of accounts")
    model = Account
    default_sort = "code"
    export_name = "accounts"
    search_fields = [Account.code, Account.name_zh, Account.name_en]
    create_endpoint = "finance.account_new"
    create_label = _l("New account")
    create_permission = "finance.post"
    columns = [
        Column("code", _l("Code"), sort=Account.code, link=detail_url("finance.account_edit")),
        Column("name", _l("Name"), value=queries.account_name),
        Column("type", _l("Type"), sort=Account.type, value=lambda a: forms.TYPE_LABELS[a.type]),
        Column("active", _l("In use"), value=lambda a: _("Yes") if a.active else _("No")),
    ]
    filters = [Filter("type", _l("Type"), lambda q, v: q.where(Account.type == v),
                      choices=lambda: [(k, str(v)) for k, v in forms.TYPE_LABELS.items()])]


AccountList.register(bp, "/accounts", "accounts")


class AccountEdit(FormView):
    permission = "finance.post"
    form_class = forms.AccountForm
    title = _l("Account")
    cancel_endpoint = "finance.accounts"

    def get_object(self, id=None):
        return db.get_or_404(Account, id) if id else None

    def make_form(self, account):
        form = self.form_class(obj=account)
        if account is not None:          # the code and type of an account are fixed once it exists
            form.code.render_kw = form.type.render_kw = {"disabled": True}
            form.code.data, form.type.data = account.code, account.type
        return form

    def save(self, form, account):
        if account is None:
            return services.create_account(current_user, form.code.data, form.name_zh.data, form.name_en.data,
                                           form.type.data)
        return services.update_account(current_user, account, form.name_zh.data, form.name_en.data,
                                       form.active.data)

    def success_url(self, account):
        return url_for("finance.accounts")


AccountEdit.register(bp, "/accounts/new", "account_new")
AccountEdit.register(bp, "/accounts/<int:id>", "account_edit")


def _parse_day(raw: str | None, default: date) -> date:
    try:
        return date.fromisoformat(raw) if raw else default
    except ValueError:
        return default

