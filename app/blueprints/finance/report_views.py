"""Finance reports (trial balance, profit and loss, balance sheet, margin, inventory valuation),
gateway receivables against the payment center's reconciliation, and the period close. Each
report renders as a page and exports as CSV or XLSX (money in major units beside its currency)."""
from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date, timedelta

from flask import Response, flash, render_template, request, url_for
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user

from app.blueprints.finance import bp, forms, queries, services
from app.core import export
from app.core.formview import commit_form
from app.core.htmx import redirect_to
from app.core.listview import XLSX_MIMETYPE
from app.core.money import to_major
from app.core.permissions import requires
from app.core.tenancy import current_store

SECTION_LABELS = {"asset": _l("Assets"), "liability": _l("Liabilities"), "equity": _l("Equity"),
                  "revenue": _l("Revenue"), "expense": _l("Expenses")}


def _day(name: str, default: date) -> tuple[date, bool]:
    """A date from the query string (`default` when absent); False when it was not a date."""
    raw = (request.args.get(name) or "").strip()
    if not raw:
        return default, True
    try:
        return date.fromisoformat(raw[:10]), True
    except ValueError:
        return default, False


@dataclass
class Table:
    """A report's table: headers with their kind ("text", "money", "number") and raw rows."""

    title: str
    headers: list[tuple[str, str]]
    rows: list[list]
    total: list | None = None


def _export(table: Table, fmt: str, filename: str) -> Response:
    currency = current_store().currency
    header = []
    for label, kind in table.headers:
        header.append(label)
    header.append(_("Currency"))

    def cells(values):
        out = [to_major(v, currency) if kind == "money" and v is not None else v
               for v, (_label, kind) in zip(values, table.headers)]
        return out + [currency]

    rows = [cells(r) for r in table.rows] + ([cells(table.total)] if table.total else [])
    disposition = {"Content-Disposition": f'attachment; filename="{filename}.{fmt}"'}
    if fmt == "xlsx":
        from openpyxl import Workbook

        book = Workbook(write_only=True)
        sheet = book.create_sheet(str(table.title)[:31])
        for values in [header, *rows]:
            export.xlsx_write_row(sheet, values)
        out = io.BytesIO()
        book.save(out)
        return Response(out.getvalue(), mimetype=XLSX_MIMETYPE, headers=disposition)
    buf = io.StringIO()
    buf.write("\ufeff")
    writer = export.CsvWriter(buf)
    writer.writerows([header, *rows])
    return Response(buf.getvalue(), mimetype="text/csv", headers=disposition)


def _render(table: Table, filename: str, **context):
    fmt = request.args.get("export")
    if fmt in ("csv", "xlsx"):
        return _export(table, fmt, filename)
    args = {k: v for k, v in request.args.items() if k != "export"}
    return render_template("finance/report.html", table=table, export_csv=url_for(request.endpoint, **args, export="csv"),
                           export_xlsx=url_for(request.endpoint, **args, export="xlsx"), **context)


def _statement_rows(statement) -> list[list]:
    rows = []
    for section, balances, total in statement.sections:
        for b in balances:
            rows.append([str(SECTION_LABELS[section]), b.account.code, b.name, b.balance])
        rows.append([str(SECTION_LABELS[section]), "", _("Total"), total])
    return rows


@bp.route("/reports")
@requires("finance.view")
def reports():
    today = services.today()
    since, ok1 = _day("since", today.replace(day=1))
    until, ok2 = _day("until", today)
    statement = queries.profit_and_loss(since, until)
    table = Table(_("Profit and loss"), [(_("Section"), "text"), (_("Code"), "text"), (_("Account"), "text"),
                                         (_("Amount"), "money")], _statement_rows(statement),
                  ["", "", _("Profit"), statement.result])
    return _render(table, f"profit-and-loss-{since}-{until}", since=since, until=until, date_range=True,
                   invalid=not (ok1 and ok2), report="pl")


@bp.route("/reports/trial-balance")
@requires("finance.view")
def trial_balance():
    through, ok = _day("until", services.today())
    tb = queries.trial_balance(through)
    table = Table(_("Trial balance"), [(_("Code"), "text"), (_("Account"), "text"), (_("Debit"), "money"),
                                       (_("Credit"), "money"), (_("Balance"), "money")],
                  [[b.account.code, b.name, b.debit, b.credit, b.balance] for b in tb.rows],
                  ["", _("Total"), tb.debit, tb.credit, None])
    return _render(table, f"trial-balance-{through}", until=through, invalid=not ok, report="tb",
                   balanced=tb.debit == tb.credit)


@bp.route("/reports/balance-sheet")
@requires("finance.view")
def balance_sheet():
    as_of, ok = _day("until", services.today())
    sheet = queries.balance_sheet(as_of)
    rows = _statement_rows(sheet)
    rows.append([str(SECTION_LABELS["equity"]), "", _("Profit not yet closed into equity"), sheet.result])
    totals = {s: t for s, _b, t in sheet.sections}
    table = Table(_("Balance sheet"), [(_("Section"), "text"), (_("Code"), "text"), (_("Account"), "text"),
                                       (_("Amount"), "money")], rows,
                  ["", "", _("Liabilities and equity"), totals["liability"] + totals["equity"] + sheet.result])
    return _render(table, f"balance-sheet-{as_of}", until=as_of, invalid=not ok, report="bs")


@bp.route("/reports/margin")
@requires("finance.view")
def margin():
    from app.blueprints.catalog import queries as catalog_queries

    today = services.today()
    since, ok1 = _day("since", today - timedelta(days=29))
    until, ok2 = _day("until", today)
    by = request.args.get("by") if request.args.get("by") in ("sku", "product", "category") else "sku"
    rows = queries.margin_by_sku(since, until)
    skus = catalog_queries.sku_snapshots([r["sku_id"] for r in rows])
    groups: dict = {}
    for r in rows:
        s = skus.get(r["sku_id"])
        key = {"sku": s.code if s else str(r["sku_id"]), "product": s.title if s else str(r["sku_id"]),
               "category": _category_name(s.category_id) if s else ""}[by]
        g = groups.setdefault(key, [key, 0, 0, 0, 0])
        g[1] += r["units"]
        g[2] += r["revenue"]
        g[3] += r["cogs"]
        g[4] += r["margin"]
    table = Table(_("Gross margin"), [({"sku": _("SKU code"), "product": _("Product"), "category": _("Category")}[by],
                                       "text"), (_("Units"), "number"), (_("Net revenue"), "money"),
                                      (_("Cost of goods sold"), "money"), (_("Gross margin"), "money"),
                                      (_("Margin %"), "number")],
                  [[*g, round(g[4] * 100 / g[2]) if g[2] else None] for g in sorted(groups.values(),
                                                                                   key=lambda g: -g[4])])
    return _render(table, f"margin-{by}-{since}-{until}", since=since, until=until, date_range=True, by=by,
                   invalid=not (ok1 and ok2), report="margin")


def _category_name(category_id) -> str:
    from app.blueprints.catalog import queries as catalog_queries

    return dict(catalog_queries.category_choices()).get(category_id, "")


@bp.route("/reports/inventory")
@requires("finance.view")
def inventory_valuation():
    from app.blueprints.catalog import queries as catalog_queries

    rows = queries.inventory_valuation()
    codes = catalog_queries.sku_codes([r.sku_id for r in rows])
    table = Table(_("Inventory valuation"), [(_("SKU code"), "text"), (_("On hand (valued)"), "number"),
                                             (_("Moving-average cost"), "money"), (_("Value"), "money")],
                  [[codes.get(r.sku_id, str(r.sku_id)), r.quantity,
                    round(r.value / r.quantity) if r.quantity > 0 else r.last_unit_cost, r.value] for r in rows],
                  [_("Total"), sum(r.quantity for r in rows), None, sum(r.value for r in rows)])
    return _render(table, "inventory-valuation", report="inventory")


@bp.route("/receivables")
@requires("finance.view")
def receivables():
    """What each gateway owes, and each reconciled day: our net on the ledger (payments less
    refunds and the day's fees) against the gateway's statement net of its fees; the days that
    differ are listed for staff."""
    from app.blueprints.payments import queries as payment_queries
    from app.blueprints.payments.gateways import gateway_label

    since = services.today() - timedelta(days=30)
    ours = queries.gateway_days(since)
    days = []
    for run in payment_queries.reconciliation_days(since):
        ledger = ours.get((run["gateway"], run["day"]), 0)
        days.append({**run, "label": gateway_label(run["gateway"]), "ledger": ledger,
                     "differs": run["status"] == "done" and (ledger != run["gateway_total"] - run["fee_total"]
                                                             or run["open"] > 0)})     # the ledger is net of fees
    owed = [(gateway_label(g), v) for g, v in queries.gateway_balances().items()]
    return render_template("finance/receivables.html", owed=owed, days=days,
                           differing=[d for d in days if d["differs"]])


@bp.route("/close", methods=["GET", "POST"])
@requires("finance.close")
def close_page():
    current = services.period()
    form = forms.CloseForm(formdata=None if request.method == "GET" else request.form,
                           through=services.today() - timedelta(days=services.today().day))
    if form.validate_on_submit() and commit_form(form, lambda: services.close_period(current_user, form.through.data)):
        flash(_("The books are closed through %(day)s.", day=form.through.data.isoformat()), "success")
        return redirect_to(url_for("finance.close_page"))
    return render_template("finance/close.html", form=form, current=current), 422 if request.method == "POST" else 200
