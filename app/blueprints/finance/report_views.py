"""Finance reports (trial balance, profit and loss with profit by month, balance sheet, margin,
inventory valuation, sales by day / SKU / category / channel, refund rate by SKU, receivables
and payables ageing), gateway receivables against the payment center's reconciliation, and the
period close. Each report renders as a page with a chart where one helps and exports as CSV or
XLSX through `app.core.export` (money in major units beside its currency), in the store's
calendar days."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from flask import Response, flash, render_template, request, url_for
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user

from app.blueprints.finance import bp, forms, queries, services
from app.core import export
from app.core.charts import BarChart, bar_chart
from app.core.formview import commit_form
from app.core.htmx import redirect_to
from app.core.money import currency_name, to_major
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



def _whole(minor: int) -> int:
    """A chart bar's height: whole major units of the store's currency (a yen store has no fen)."""
    return int(to_major(minor, current_store().currency))


def _currency() -> str:
    """What the money charts count in, for their titles: the store's currency by name."""
    return currency_name(current_store().currency or "CNY")

@dataclass
class Table:
    """A report's table: headers with their kind ("text", "money", "number") and raw rows."""

    title: str
    headers: list[tuple[str, str]]
    rows: list[list]
    total: list | None = None
    chart: BarChart | None = None
    note: str = ""


def _export(table: Table, fmt: str, filename: str) -> Response:
    """The table as CSV or XLSX: money in major units, the store's currency in a last column."""
    currency = current_store().currency

    def cells(values):
        return [to_major(v, currency) if kind == "money" and v is not None else v
                for v, (_label, kind) in zip(values, table.headers)] + [currency]

    header = [label for label, _kind in table.headers] + [_("Currency")]
    rows = [cells(r) for r in table.rows] + ([cells(table.total)] if table.total else [])
    return export.table_response(header, rows, fmt, filename, table.title)


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
                  ["", "", _("Profit"), statement.result],
                  chart=bar_chart([(m, _whole(revenue - expense)) for m, revenue, expense in queries.result_by_month(until)],
                                  _("Profit by month, last 12 months (%(currency)s)", currency=_currency()),
                                  axis="text"))
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
    categories = queries.category_names() if by == "category" else {}
    groups: dict = {}
    for r in rows:
        s = skus.get(r["sku_id"])
        key = {"sku": s.code if s else str(r["sku_id"]), "product": s.title if s else str(r["sku_id"]),
               "category": categories.get(s.category_id, "") if s and by == "category" else ""}[by]
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
                                                                                   key=lambda g: -g[4])],
                  note=_("Units shipped less units refunded; net revenue after discounts and refunds. A refunded "
                         "unit's cost leaves the cost of goods sold when the goods come back."))
    return _render(table, f"margin-{by}-{since}-{until}", since=since, until=until, date_range=True, by=by,
                   invalid=not (ok1 and ok2), report="margin")


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


def _channel_labels() -> dict:
    """The order center's words for an order's source (the same on the order pages)."""
    from app.blueprints.orders.services import SOURCE_LABELS

    return {source: str(SOURCE_LABELS.get(source, source)) for source in queries.CHANNELS}


SALES_BY = ("day", "sku", "category", "channel")


def _range(days: int = 30) -> tuple[date, date, bool]:
    """The report's [since, until] local days from the query string (the last `days` days by
    default); False when a value was not a date or the range runs backwards or too long."""
    today = services.today()
    since, ok1 = _day("since", today - timedelta(days=days - 1))
    until, ok2 = _day("until", today)
    if since > until or (until - since).days >= queries.MAX_DAYS:
        return today - timedelta(days=days - 1), today, False
    return since, until, ok1 and ok2


def _channel() -> tuple[str | None, bool]:
    raw = request.args.get("channel") or None
    return (raw, True) if raw is None or raw in queries.CHANNELS else (None, False)


def _category() -> tuple[int | None, bool]:
    raw = request.args.get("category") or ""
    if not raw:
        return None, True
    return (int(raw), True) if raw.isdigit() and int(raw) in queries.category_names() else (None, False)


def _top_chart(rows, label: str, limit: int = 12):
    """Bars of the paid amount of the first `limit` rows (the report's best), in whole units of
    the store's currency."""
    return bar_chart([(str(r.label) or "—", _whole(r.gmv)) for r in rows[:limit]], label, axis="text")


@bp.route("/reports/sales")
@requires("finance.view")
def sales():
    """Sales by day, SKU, category or channel, in the store's calendar days: orders paid in
    the range, what shoppers paid for them and the refunds of the range."""
    by = request.args.get("by") if request.args.get("by") in SALES_BY else "day"
    since, until, ok = _range()
    channel, ok_channel = _channel()
    category, ok_category = _category()
    if by == "channel":
        channel = None
    if by != "sku":
        category = None
    money, number = "money", "number"
    if by == "day":
        rows = queries.sales_by_day(since, until, channel)
        table = Table(_("Sales by day"), [(_("Day"), "text"), (_("Paid orders"), number), (_("GMV"), money),
                                          (_("Refunds"), money), (_("Net sales"), money),
                                          (_("Average order value"), money)],
                      [[r.label, r.orders, r.gmv, r.refunds, r.net, r.aov] for r in rows],
                      [_("Total"), sum(r.orders for r in rows), sum(r.gmv for r in rows),
                       sum(r.refunds for r in rows), sum(r.net for r in rows), None],
                      chart=bar_chart([(r.label, _whole(r.gmv)) for r in rows],
                                      _("GMV by day (%(currency)s)", currency=_currency())))
    elif by == "channel":
        rows, labels = queries.sales_by_channel(since, until), _channel_labels()
        for r in rows:
            r.label = labels.get(r.key, r.key)
        table = Table(_("Sales by channel"), [(_("Sales channel"), "text"), (_("Paid orders"), number), (_("GMV"), money),
                                              (_("Refunds"), money), (_("Net sales"), money),
                                              (_("Average order value"), money)],
                      [[r.label, r.orders, r.gmv, r.refunds, r.net, r.aov] for r in rows],
                      [_("Total"), sum(r.orders for r in rows), sum(r.gmv for r in rows),
                       sum(r.refunds for r in rows), sum(r.net for r in rows), None],
                      chart=_top_chart(rows, _("GMV by channel (%(currency)s)", currency=_currency())))
    elif by == "sku":
        rows = queries.sales_by_sku(since, until, channel, category)
        table = Table(_("Sales by SKU"), [(_("SKU code"), "text"), (_("Product"), "text"), (_("Category"), "text"),
                                          (_("Orders"), number), (_("Units"), number), (_("Paid amount"), money)],
                      [[r.label, r.extra["title"], r.extra["category"], r.orders, r.units, r.gmv] for r in rows],
                      [_("Total"), "", "", None, sum(r.units for r in rows), sum(r.gmv for r in rows)],
                      chart=_top_chart(rows, _("Paid amount of the best-selling SKUs (%(currency)s)",
                                               currency=_currency())),
                      note=_("Paid amount: price × units less each line's share of the discounts."))
    else:
        rows = queries.sales_by_category(since, until, channel)
        for r in rows:
            r.label = r.label or str(_("Uncategorised"))
        table = Table(_("Sales by category"), [(_("Category"), "text"), (_("Orders"), number), (_("Units"), number),
                                               (_("Paid amount"), money)],
                      [[r.label, r.orders, r.units, r.gmv] for r in rows],
                      [_("Total"), None, sum(r.units for r in rows), sum(r.gmv for r in rows)],
                      chart=_top_chart(rows, _("Paid amount by category (%(currency)s)", currency=_currency())),
                      note=_("An order with products of two categories counts in both."))
    suffix = f"-{channel}" if channel else ""
    return _render(table, f"sales-by-{by}{suffix}-{since}-{until}", since=since, until=until, date_range=True,
                   by=by, invalid=not (ok and ok_channel and ok_category), report="sales", channel=channel,
                   channels=list(_channel_labels().items()), category=category,
                   categories=queries.category_names() if by == "sku" else {})


@bp.route("/reports/refund-rate")
@requires("finance.view")
def refund_rate():
    """Refund rate by SKU: units refunded in the range against units sold in it."""
    since, until, ok = _range()
    channel, ok_channel = _channel()
    rows, unattributed = queries.refund_rate_by_sku(since, until, channel)
    table = Table(_("Refund rate by SKU"), [(_("SKU code"), "text"), (_("Product"), "text"), (_("Units sold"), "number"),
                                            (_("Units refunded"), "number"), (_("Refund rate %"), "number"),
                                            (_("Paid amount"), "money"), (_("Refunded"), "money")],
                  [[r.sku_code, r.title, r.sold, r.refunded_units, r.rate, r.sales, r.refunded] for r in rows],
                  [_("Total"), "", sum(r.sold for r in rows), sum(r.refunded_units for r in rows), None,
                   sum(r.sales for r in rows), sum(r.refunded for r in rows) + unattributed],
                  chart=bar_chart([(r.sku_code, r.rate) for r in rows if r.rate][:12],
                                  _("Refund rate of the SKUs refunded most (units per 100 sold)"), axis="text"),
                  note=_("Units sold: orders paid in the range. Units refunded: refunds that went through in the "
                         "range, by the order lines they name."))
    if unattributed:
        table.rows.append([_("Refunded by amount (no SKU)"), "", None, None, None, None, unattributed])
    suffix = f"-{channel}" if channel else ""
    return _render(table, f"refund-rate{suffix}-{since}-{until}", since=since, until=until, date_range=True,
                   invalid=not (ok and ok_channel), report="refunds", channel=channel,
                   channels=list(_channel_labels().items()))


def _ageing(report: str, name: str, rows: list, as_of: date, ok: bool, *, title: str, party: str, chart: str,
            note: str, overdue: bool = False):
    """An ageing report, receivables or payables: a row per party with its amount per bucket and
    its total, the buckets' totals as bars. By age (AR), bucket 0 of a row is unused; by days
    overdue (AP), it is what is not due yet and the first of AGE_BUCKETS starts at 1 day."""
    labels, axis = [], []
    for low, high in queries.AGE_BUCKETS:
        low = max(low, 1) if overdue else low
        days = _("Over %(n)d days", n=low - 1) if high is None else _("%(low)d–%(high)d days", low=low, high=high)
        labels.append(_("Overdue %(days)s", days=days) if overdue else days)
        axis.append(f">{low - 1}" if high is None else f"{low}–{high}")
    if overdue:
        labels, axis = [_("Not yet due"), *labels], [_("Not due"), *axis]
    first = len(queries.AGE_BUCKETS) + 1 - len(labels)
    totals = [sum(r.buckets[i] for r in rows) for i in range(first, len(queries.AGE_BUCKETS) + 1)]
    table = Table(title, [(party, "text"), *[(label, "money") for label in labels], (_("Total"), "money")],
                  [[r.label, *r.buckets[first:], r.total] for r in rows],
                  [_("Total"), *totals, sum(r.total for r in rows)],
                  chart=bar_chart(list(zip(axis, map(_whole, totals))), chart, axis="text"), note=note)
    return _render(table, f"{name}-{as_of}", until=as_of, invalid=not ok, report=report)


@bp.route("/reports/receivables-ageing")
@requires("finance.view")
def receivables_ageing():
    """What each gateway owes, by the age of the payments not yet settled (first in, first out)."""
    as_of, ok = _day("until", services.today())
    return _ageing("ar", "receivables-ageing", queries.receivables_ageing(as_of), as_of, ok,
                   title=_("Receivables ageing"), party=_("Payment gateway"),
                   chart=_("Owed by gateways, by age (%(currency)s)", currency=_currency()),
                   note=_("Age: days since the payment, in the store's calendar; refunds and settlements pay off "
                          "the oldest payments first."))


@bp.route("/reports/payables-ageing")
@requires("finance.view")
def payables_ageing():
    """What the store owed each supplier at the end of the day, by days past the due date."""
    as_of, ok = _day("until", services.today())
    return _ageing("ap", "payables-ageing", queries.payables_ageing(as_of), as_of, ok, title=_("Payables ageing"),
                   party=_("Supplier"),
                   chart=_("Owed to suppliers, by days overdue (%(currency)s)", currency=_currency()),
                   note=_("Supplier invoices matched by the end of that day, less the payments dated up to it; an "
                          "invoice without payment terms counts as not yet due."), overdue=True)


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
